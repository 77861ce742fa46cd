"""The event types by name, one module per emitting service: `who emits X` is a find-usages
of its constant. Plain strings, so pure modules (domain rules, sentences) can name an event
without loading its payload model; the catalogue (shared/events/contracts) pairs each with one."""
