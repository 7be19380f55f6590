/*
 * OpenFrame API, the Callbridge sandbox's implementation (servicenow.md §5.2, §5.4).
 * Loaded by the softphone inside the OpenFrame panel from the instance
 * (/scripts/openframe/latest/openFrameAPI.min.js). It talks to the host page (the panel's
 * parent) with postMessage, in JSON strings {"type":"NOW.PostMessage","eventName","args"}, only
 * to and from the instance's origin (the origin this script was loaded from).
 */
(function (global) {
  'use strict';
  if (global.openFrameAPI) return;

  var VERSION = '1.0.5';
  var MAX_MESSAGE = 4400;
  var INIT_TIMEOUT_MS = 3000;
  var MAX_URL = 2083;

  var script = document.currentScript;
  var hostOrigin = null;
  try {
    hostOrigin = script && script.src ? new URL(script.src, global.location.href).origin : null;
  } catch (e) {
    hostOrigin = null;
  }

  var EVENTS = {
    COMMUNICATION_EVENT: 'openframe_communication',
    COMMUNICATION_FAILURE: 'openframe_communication_failure',
    OPENFRAME_SHOWN: 'openframe_shown',
    OPENFRAME_HIDDEN: 'openframe_hidden',
    OPENFRAME_BEFORE_DESTROY: 'openframe_before_destroy',
    COLLAPSE: 'openframe_collapse',
    EXPAND: 'openframe_expand',
    ICON_CLICKED: 'openframe_icon_clicked',
    TITLE_ICON_CLICKED: 'openframe_title_icon_clicked',
    HEADER_ICON_CLICKED: 'openframe_header_icon_clicked',
    HEART_BEAT: 'openframe_heart_beat',
    WRAP_UP_SUBMITTED: 'openframe_wrap_up_submitted',
    INTERACTION_CONTROL_ACTION: 'interaction_control_action',
    AWA_AGENT_PRESENCE: 'openframe_awa_agent_presence'
  };
  var FRAME_MODE = { COLLAPSE: 'collapse', EXPAND: 'expand' };

  var handlers = {};
  var pending = {};
  var sequence = 0;

  function fire(eventName, args) {
    var list = handlers[eventName];
    if (!list) return;
    list.slice().forEach(function (handler) {
      try {
        handler(args);
      } catch (error) {
        if (global.console) global.console.error('openFrameAPI subscriber failed', error);
      }
    });
  }

  function post(eventName, args) {
    var text = JSON.stringify({ type: 'NOW.PostMessage', eventName: eventName, args: args || {} });
    if (text.length > MAX_MESSAGE) {
      fire(EVENTS.COMMUNICATION_FAILURE, {
        eventName: eventName,
        reason: 'message of ' + text.length + ' characters is over the ' + MAX_MESSAGE + ' limit'
      });
      return false;
    }
    if (!hostOrigin || global.parent === global) return false;
    global.parent.postMessage(text, hostOrigin);
    return true;
  }

  function request(method, payload, callback) {
    sequence += 1;
    var id = method + '_' + sequence + '_' + Math.random().toString(36).slice(2, 10);
    pending[id] = callback;
    if (!post('openframe_request', { id: id, method: method, payload: payload || {} })) {
      delete pending[id];
      callback(false, 'no OpenFrame host to send ' + method + ' to');
    }
    return id;
  }

  global.addEventListener('message', function (event) {
    if (event.source !== global.parent || event.origin !== hostOrigin) return;
    if (typeof event.data !== 'string' || event.data.length > MAX_MESSAGE) return;
    var message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (!message || message.type !== 'NOW.PostMessage' || typeof message.eventName !== 'string') return;
    var args = message.args || {};
    if (message.eventName === 'openframe_response') {
      var context = args.context || {};
      var callback = pending[context.id];
      if (callback) {
        delete pending[context.id];
        callback(args.isSuccess === true, context.result);
      }
      return;
    }
    fire(message.eventName, args);
  });

  function redirects(query) {
    return /sysparm_stack|sysparm_goto_url/i.test(String(query || ''));
  }

  function refuse(reason) {
    fire(EVENTS.COMMUNICATION_FAILURE, { reason: reason });
    return false;
  }

  var api = {
    EVENTS: EVENTS,
    FRAME_MODE: FRAME_MODE,
    version: function () {
      return VERSION;
    },
    init: function (config, success, failure) {
      var settled = false;
      var timer = global.setTimeout(function () {
        if (settled) return;
        settled = true;
        if (failure) failure('OpenFrame init timed out: no host answered within 3 seconds');
      }, INIT_TIMEOUT_MS);
      request('openframe_init', config || {}, function (ok, result) {
        if (settled) return;
        settled = true;
        global.clearTimeout(timer);
        if (ok) {
          if (success) success(result ? result.configuration : undefined);
        } else if (failure) {
          failure(result);
        }
      });
    },
    subscribe: function (eventName, handler) {
      if (typeof handler !== 'function') return;
      (handlers[eventName] = handlers[eventName] || []).push(handler);
    },
    show: function () {
      post('openframe_show', {});
    },
    hide: function () {
      post('openframe_hide', {});
    },
    isVisible: function (callback) {
      request('openframe_visible', {}, function (ok, result) {
        if (callback) callback(ok && result === true);
      });
    },
    setTitle: function (title) {
      post('openframe_set_header_title', { title: String(title).slice(0, 256) });
    },
    setSubtitle: function (subtitle) {
      post('openframe_set_header_title', { subtitle: String(subtitle).slice(0, 256) });
    },
    setTitleIcon: function (icon) {
      post('openframe_set_header_title_icon', icon || {});
    },
    setIcons: function (icons) {
      post('openframe_set_header_icons', { icons: icons || [] });
    },
    setSize: function (width, height) {
      post('openframe_set_size', { width: Number(width), height: Number(height) });
    },
    setWidth: function (width) {
      post('openframe_set_size', { width: Number(width) });
    },
    setHeight: function (height) {
      post('openframe_set_size', { height: Number(height) });
    },
    setFrameMode: function (mode) {
      post('openframe_set_frame_mode', { mode: mode });
    },
    setPresenceIndicator: function (text, color) {
      post('openframe_set_presence_indicator', { text: String(text).slice(0, 256), color: color });
    },
    toastMessage: function (message, type, duration) {
      post('openframe_toast_message', {
        message: String(message).slice(0, 1000),
        type: type || 'info',
        duration: duration
      });
    },
    openServiceNowForm: function (target) {
      target = target || {};
      if (redirects(target.query)) return refuse('Url query string cannot have redirects');
      return post('openframe_set_top_frame_url', {
        form: { entity: target.entity, query: target.query || '' }
      });
    },
    openServiceNowList: function (target) {
      target = target || {};
      if (redirects(target.query)) return refuse('Url query string cannot have redirects');
      return post('openframe_set_top_frame_url', {
        list: { entity: target.entity, query: target.query || '' }
      });
    },
    openCustomURL: function (url) {
      url = String(url || '');
      if (/^[a-z][a-z0-9+.-]*:|^\/\//i.test(url)) return refuse('Absolute URLs are not allowed');
      if (url.length > MAX_URL) return refuse('URL longer than ' + MAX_URL + ' characters');
      if (redirects(url)) return refuse('Url query string cannot have redirects');
      return post('openframe_set_top_frame_url', { url: { url: url } });
    }
  };

  global.openFrameAPI = api;
  global.SNC = global.SNC || {};
  global.SNC.OpenFrame = api;
})(window);
