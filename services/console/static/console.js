// pactum console: small progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // A mailed link carries its secret in the fragment (#token=...), which never reaches a server.
  // Move it into the page's form, wipe it from the address bar and history, and go on.
  var match = /(?:^#|&)token=([A-Za-z0-9_-]+)/.exec(window.location.hash);
  var forms = document.querySelectorAll("form[data-link-token]");
  if (match && forms.length) {
    history.replaceState(null, "", window.location.pathname);
    var form = forms[forms.length - 1];
    form.querySelector("input[name=token]").value = match[1];
    form.submit();
    return;
  }

  // The error summary takes the focus, so that a screen reader announces what to fix first.
  var summary = document.querySelector("[data-focus]");
  if (summary) { summary.focus(); }

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
    });
  });
});
