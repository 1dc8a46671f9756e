/*
 * The submit of a "New …" form on the Integrations page: check what was typed, POST it,
 * hand the answer on; or say in the form what went wrong and let it be tried again.
 */

/**
 * `prepare()` answers `{ body }`, or `{ problem, focus }` when something is missing;
 * `post(body)` makes the request; `explain(ex)` puts a refusal in the form's own words.
 */
export function onCreateSubmit(form, { submit, err, prepare, post, onCreated, explain = (ex) => ex.message }) {
  const say = (text) => { err.textContent = text; err.hidden = false; };
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    err.hidden = true;
    const ready = prepare();
    if (ready.problem) {
      say(ready.problem);
      if (ready.focus) ready.focus.focus();
      return;
    }
    submit.disabled = true;
    try {
      onCreated(await post(ready.body));
    } catch (ex) {
      say(explain(ex));
      submit.disabled = false;
    }
  });
}

/** A refused URL (the outbound guard's reason), for the forms that take one. */
export function urlRefusal(ex) {
  return ex.field === "url" ? `That address cannot be used: ${ex.message}` : ex.message;
}
