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

  // Passkeys (WebAuthn) need this script and a browser that has them: their forms stay hidden
  // otherwise, and the page says so. The form asks the console for identity's options, hands
  // them to the browser (which asks the person for their PIN, fingerprint or face), and posts the
  // browser's answer; the server checks everything.
  if (window.PublicKeyCredential) {
    document.querySelectorAll("[data-passkey-absent]").forEach(function (note) { note.hidden = true; });
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      form.hidden = false;
      form.addEventListener("submit", function (event) { passkey(event, form); });
    });
  }
});

function fromBase64url(text) {
  var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  var bytes = new Uint8Array(binary.length);
  for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
  return bytes.buffer;
}

function toBase64url(buffer) {
  var bytes = new Uint8Array(buffer);
  var binary = "";
  for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function publicKeyOptions(options) {
  options.challenge = fromBase64url(options.challenge);
  if (options.user) { options.user.id = fromBase64url(options.user.id); }
  ["excludeCredentials", "allowCredentials"].forEach(function (list) {
    (options[list] || []).forEach(function (item) { item.id = fromBase64url(item.id); });
  });
  return options;
}

function credentialJSON(credential) {
  if (typeof credential.toJSON === "function") { return credential.toJSON(); }
  var response = credential.response;
  var answer = { clientDataJSON: toBase64url(response.clientDataJSON) };
  if (response.attestationObject) {
    answer.attestationObject = toBase64url(response.attestationObject);
    answer.transports = response.getTransports ? response.getTransports() : [];
  } else {
    answer.authenticatorData = toBase64url(response.authenticatorData);
    answer.signature = toBase64url(response.signature);
    if (response.userHandle) { answer.userHandle = toBase64url(response.userHandle); }
  }
  return {
    id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
    response: answer, clientExtensionResults: credential.getClientExtensionResults(),
    authenticatorAttachment: credential.authenticatorAttachment
  };
}

function passkey(event, form) {
  if (form.querySelector("input[name=credential]").value) { return; }  // the answer: post it
  event.preventDefault();
  var status = form.querySelector("[data-passkey-status]");
  var body = new URLSearchParams();
  body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
  fetch(form.getAttribute("data-passkey-options"), {
    method: "POST", body: body, credentials: "same-origin", headers: { Accept: "application/json" }
  }).then(function (answer) {
    if (answer.status === 403) {  // a recent sign-in is needed first: confirm it is you
      return answer.json().then(function (body) {
        if (body.confirm) { window.location.assign(body.confirm); }
        throw new Error("confirm first");
      });
    }
    if (!answer.ok) { throw new Error("options " + answer.status); }
    return answer.json();
  }).then(function (options) {
    var publicKey = publicKeyOptions(options);
    return form.getAttribute("data-passkey") === "create"
      ? navigator.credentials.create({ publicKey: publicKey })
      : navigator.credentials.get({ publicKey: publicKey });
  }).then(function (credential) {
    form.querySelector("input[name=credential]").value = JSON.stringify(credentialJSON(credential));
    form.submit();
  }).catch(function () {
    if (status) { status.hidden = false; status.focus(); }
  });
}
