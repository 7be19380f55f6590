/*
 * The sandbox workspace's page script (no inline code anywhere: the CSP forbids it).
 *
 * On content pages (lists and forms in the gsft_main frame): a click on a phone number goes to
 * the workspace's OpenFrame panel when it is open, else the tel: link does its usual thing.
 *
 * On the shell (/navpage.do): the OpenFrame host. It loads the panel's frame from the
 * configuration row, answers the frame's requests (openframe_init, openframe_get_config,
 * openframe_visible), carries out its commands (show, hide, size, title, presence, toast, open a
 * form or list in gsft_main) and sends it openframe_communication for click-to-dial. Messages
 * are JSON strings {"type":"NOW.PostMessage","eventName","args"}, exchanged only with the
 * frame's own window and origin, and only when that origin is trusted.
 */
(function () {
  'use strict';

  var MAX_MESSAGE = 4400;
  var CLICK_TO_DIAL = 'x_cb_sandbox.click_to_dial';
  var PANEL_STATE_KEY = 'x_cb_sandbox.openframe';

  function contentPage() {
    document.addEventListener('click', function (event) {
      var link = event.target && event.target.closest ? event.target.closest('a.phone') : null;
      if (!link || window.parent === window) return;
      var open = false;
      try {
        open = window.parent.document.body.getAttribute('data-panel') === 'open';
      } catch (e) {
        open = false;
      }
      if (!open) return;
      event.preventDefault();
      window.parent.postMessage(
        { kind: CLICK_TO_DIAL, payload: link.getAttribute('data-openframe') },
        window.location.origin
      );
    });
  }

  function shell() {
    var panel = document.getElementById('openframe');
    var main = document.getElementById('gsft_main');
    if (!panel) return;
    var toggle = document.getElementById('openframe-toggle');
    var body = panel.querySelector('.of-body');
    var titleEl = panel.querySelector('.of-title');
    var subtitleEl = panel.querySelector('.of-subtitle');
    var presenceEl = panel.querySelector('.of-presence');
    var closeButton = panel.querySelector('.of-close');
    var toasts = document.getElementById('toasts');
    var origin = panel.getAttribute('data-origin');
    var trusted = panel.getAttribute('data-trusted') === 'true';
    var frame = null;
    var initialised = false;
    var queued = null;

    function clamp(value, fallback) {
      var n = Number(value);
      if (!isFinite(n) || n <= 0) return fallback;
      return Math.max(200, Math.min(2000, Math.round(n)));
    }
    var width = clamp(panel.getAttribute('data-width'), 350);
    var height = clamp(panel.getAttribute('data-height'), 500);
    function applySize() {
      panel.style.width = width + 'px';
      body.style.height = height + 'px';
    }

    function send(eventName, args) {
      if (!frame || !frame.contentWindow || !trusted) return false;
      var text = JSON.stringify({ type: 'NOW.PostMessage', eventName: eventName, args: args || {} });
      if (text.length > MAX_MESSAGE) return false;
      frame.contentWindow.postMessage(text, origin);
      return true;
    }
    function respond(id, ok, result) {
      send('openframe_response', { context: { id: id, result: result }, isSuccess: ok });
    }

    function isOpen() {
      return !panel.hidden;
    }
    function setOpen(open) {
      if (open) ensureFrame();
      panel.hidden = !open;
      document.body.setAttribute('data-panel', open ? 'open' : 'closed');
      if (toggle) toggle.setAttribute('aria-expanded', String(open));
      try {
        window.sessionStorage.setItem(PANEL_STATE_KEY, open ? 'open' : 'closed');
      } catch (e) {
        /* storage unavailable: the state is not remembered */
      }
      if (initialised) send(open ? 'openframe_shown' : 'openframe_hidden', {});
    }

    function configuration() {
      var raw = panel.getAttribute('data-configuration') || '';
      if (!raw) return {};
      try {
        return JSON.parse(raw);
      } catch (e) {
        return raw;
      }
    }

    function toast(message, type, duration) {
      var item = document.createElement('div');
      var kind = ['info', 'warning', 'error', 'success'].indexOf(type) >= 0 ? type : 'info';
      item.className = 'toast toast-' + kind;
      item.textContent = String(message);
      toasts.appendChild(item);
      var ms = clamp(duration, 5000);
      window.setTimeout(function () {
        item.remove();
      }, Math.max(1000, Math.min(ms, 60000)));
    }

    var COLORS = ['green', 'orange', 'grey', 'red'];
    var TABLE = /^[a-z][a-z0-9_]*$/;
    function noRedirect(query) {
      return !/sysparm_stack|sysparm_goto_url/i.test(query);
    }
    function openInMain(args) {
      var target = null;
      if (args.form && TABLE.test(String(args.form.entity || ''))) {
        var query = String(args.form.query || '');
        if (noRedirect(query)) target = '/' + args.form.entity + '.do' + (query ? '?' + query : '');
      } else if (args.list && TABLE.test(String(args.list.entity || ''))) {
        var filter = String(args.list.query || '');
        if (noRedirect(filter)) {
          target = '/' + args.list.entity + '_list.do' +
            (filter ? '?sysparm_query=' + encodeURIComponent(filter) : '');
        }
      } else if (args.url && typeof args.url.url === 'string') {
        var url = args.url.url;
        if (!/^[a-z][a-z0-9+.-]*:|^\/\/|\\/i.test(url) && noRedirect(url) && url.length <= 2083) {
          target = '/' + url.replace(/^\/+/, '');
        }
      }
      if (target && main) main.src = target;
    }

    function handle(eventName, args) {
      switch (eventName) {
        case 'openframe_request':
          if (args.method === 'openframe_init') {
            initialised = true;
            respond(args.id, true, { topDomain: window.location.origin, configuration: configuration() });
            if (queued) {
              send('openframe_communication', queued);
              queued = null;
            }
          } else if (args.method === 'openframe_get_config') {
            respond(args.id, true, { configuration: configuration() });
          } else if (args.method === 'openframe_visible') {
            respond(args.id, true, isOpen());
          } else {
            respond(args.id, false, { error: 'unsupported method ' + String(args.method) });
          }
          break;
        case 'openframe_show':
          setOpen(true);
          break;
        case 'openframe_hide':
          setOpen(false);
          break;
        case 'openframe_set_size':
          if (args.width !== undefined) width = clamp(args.width, width);
          if (args.height !== undefined) height = clamp(args.height, height);
          applySize();
          break;
        case 'openframe_set_header_title':
          if (typeof args.title === 'string') titleEl.textContent = args.title.slice(0, 256);
          if (typeof args.subtitle === 'string') subtitleEl.textContent = args.subtitle.slice(0, 256);
          break;
        case 'openframe_set_presence_indicator':
          presenceEl.hidden = false;
          presenceEl.textContent = String(args.text || '').slice(0, 256);
          presenceEl.className = 'of-presence presence-' +
            (COLORS.indexOf(args.color) >= 0 ? args.color : 'grey');
          break;
        case 'openframe_toast_message':
          toast(args.message, args.type, args.duration);
          break;
        case 'openframe_set_top_frame_url':
          openInMain(args);
          break;
        case 'openframe_set_frame_mode':
          panel.classList.toggle('collapsed', args.mode === 'collapse');
          send(args.mode === 'collapse' ? 'openframe_collapse' : 'openframe_expand', {});
          break;
        default:
          break;
      }
    }

    function communicate(payloadText) {
      var payload;
      try {
        payload = JSON.parse(payloadText);
      } catch (e) {
        return;
      }
      if (!initialised) {
        queued = payload;
        return;
      }
      if (!send('openframe_communication', payload)) {
        toast('The click-to-dial event could not be sent to the panel.', 'error');
      }
    }

    window.addEventListener('message', function (event) {
      if (main && event.source === main.contentWindow) {
        if (event.origin !== window.location.origin) return;
        var data = event.data;
        if (data && data.kind === CLICK_TO_DIAL && typeof data.payload === 'string' && isOpen()) {
          communicate(data.payload);
        }
        return;
      }
      if (!frame || event.source !== frame.contentWindow || event.origin !== origin || !trusted) return;
      if (typeof event.data !== 'string' || event.data.length > MAX_MESSAGE) return;
      var message;
      try {
        message = JSON.parse(event.data);
      } catch (e) {
        return;
      }
      if (!message || message.type !== 'NOW.PostMessage' || typeof message.eventName !== 'string') return;
      handle(message.eventName, message.args || {});
    });

    // The frame loads when the panel is first opened in this tab, then stays loaded while the
    // panel is hidden (a call goes on). A tab that never opens it runs no second softphone.
    function ensureFrame() {
      if (frame) return;
      frame = document.createElement('iframe');
      frame.className = 'of-frame';
      frame.title = panel.getAttribute('data-title') || 'OpenFrame';
      frame.setAttribute('allow', 'microphone; autoplay; clipboard-write');
      frame.src = panel.getAttribute('data-url');
      body.appendChild(frame);
    }
    applySize();

    if (toggle) {
      toggle.addEventListener('click', function () {
        setOpen(!isOpen());
      });
    }
    if (closeButton) {
      closeButton.addEventListener('click', function () {
        setOpen(false);
      });
    }
    var remembered = null;
    try {
      remembered = window.sessionStorage.getItem(PANEL_STATE_KEY);
    } catch (e) {
      remembered = null;
    }
    setOpen(remembered === 'open');
  }

  function start() {
    if (document.body.classList.contains('shell')) shell();
    else contentPage();
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
