/*
 * Late-bound calls from lower modules up to higher ones, so that the import graph
 * has no cycles. main.js fills every slot, before boot, with the function of the
 * same name from the module named here:
 *
 *   drainEvents       events.js      state.js release(): apply the queued events
 *   route             router.js      nav.js go() to the hash we are already on
 *   renderDetails     details.js     panel.js refreshPanel(), users.js renderAllSoon()
 *   loadPins          pins.js        panel.js refreshPanel()
 *   onMessageCreated  events.js      outbox.js: the answer to our own POST
 *   onMessageDeleted  events.js      message-actions.js: the answer to our own DELETE
 */

export const hooks = {
  drainEvents: null,
  route: null,
  renderDetails: null,
  loadPins: null,
  onMessageCreated: null,
  onMessageDeleted: null,
};
