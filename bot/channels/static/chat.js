/* kinerja-bot local web chat. Plain JS, no dependencies. */
(function () {
  'use strict';

  /* ---------- mini-HTML sanitizer ----------
   * Everything is escaped except exactly these tags: b i u s code pre
   * blockquote, and <a href="http(s)://..."> (rel/target added).
   * The result is safe to assign to innerHTML. */
  var ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
  var NAMED = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0' };
  var ALLOWED = /^(b|i|u|s|code|pre|blockquote)$/;
  var TOKEN = /<(\/?)([a-z]+)>|<a\s+href="([^"<>]*)"\s*>/gi;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, function (c) { return ESC[c]; });
  }

  // Decode the entities the server produced so text can be re-escaped uniformly.
  function decode(s) {
    return s.replace(/&(#x[0-9a-f]{1,6}|#[0-9]{1,7}|[a-z]{2,6});/gi, function (m, e) {
      if (e.charAt(0) === '#') {
        var hex = e.charAt(1) === 'x' || e.charAt(1) === 'X';
        var n = parseInt(e.slice(hex ? 2 : 1), hex ? 16 : 10);
        return n > 0 && n <= 0x10ffff && (n < 0xd800 || n > 0xdfff) ? String.fromCodePoint(n) : m;
      }
      var v = NAMED[e.toLowerCase()];
      return v === undefined ? m : v;
    });
  }

  function text(s) { return esc(decode(s)); }

  function miniHtml(src) {
    src = src == null ? '' : String(src);
    var out = '', last = 0, open = 0, m;
    TOKEN.lastIndex = 0;
    while ((m = TOKEN.exec(src))) {
      var rep = null, tag = m[2] && m[2].toLowerCase();
      if (m[3] !== undefined) {
        var url = decode(m[3]).trim();
        if (/^https?:\/\/[^\s]+$/i.test(url)) {
          rep = '<a href="' + esc(url) + '" rel="noopener noreferrer" target="_blank">';
          open++;
        } else {
          rep = ''; // unsafe link: keep its text, drop the tag
        }
      } else if (tag === 'a' && m[1]) {
        rep = open ? '</a>' : '';
        if (open) open--;
      } else if (ALLOWED.test(tag)) {
        rep = '<' + m[1] + tag + '>';
      }
      if (rep === null) continue; // not allowed: stays in the text and gets escaped
      out += text(src.slice(last, m.index)) + rep;
      last = TOKEN.lastIndex;
    }
    out += text(src.slice(last));
    while (open-- > 0) out += '</a>';
    return out;
  }

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { miniHtml: miniHtml, esc: esc, decode: decode };
  }
  if (typeof document === 'undefined') return;

  /* ---------- app ---------- */
  var S = {}, demo = false, people = [], lang = null;
  var nip = null, token = null, gen = 0, pending = 0;
  var queue = Promise.resolve();
  var KEY = 'kinerja-chat:';

  function $(id) { return document.getElementById(id); }
  var main = $('main'), list = $('messages'), picker = $('picker'), peopleEl = $('people'),
    notice = $('notice'), bar = $('bar'), input = $('input'), sendBtn = $('send'),
    switchBtn = $('switch'), personEl = $('person');

  function t(k) {
    return Object.prototype.hasOwnProperty.call(S, k) && S[k] ? String(S[k]) : k;
  }
  function el(tag, cls, txt) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (txt != null) e.textContent = txt;
    return e;
  }
  function save(k, v) {
    try {
      if (v == null) localStorage.removeItem(KEY + k);
      else localStorage.setItem(KEY + k, JSON.stringify(v));
    } catch (e) { /* storage unavailable */ }
  }
  function load(k) {
    try { return JSON.parse(localStorage.getItem(KEY + k)); } catch (e) { return null; }
  }
  function uuid() {
    var c = window.crypto;
    if (c && c.randomUUID) { try { return c.randomUUID(); } catch (e) { /* insecure context */ } }
    var b = new Uint8Array(16), i;
    if (c && c.getRandomValues) c.getRandomValues(b);
    else for (i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
    b[6] = (b[6] & 15) | 64;
    b[8] = (b[8] & 63) | 128;
    var h = '';
    for (i = 0; i < 16; i++) h += (b[i] + 256).toString(16).slice(1) + (i === 3 || i === 5 || i === 7 || i === 9 ? '-' : '');
    return h;
  }
  function wait(ms) { return new Promise(function (r) { setTimeout(r, ms); }); }
  function fine() { return window.matchMedia && matchMedia('(pointer: fine)').matches; }

  function api(method, path, body) {
    return fetch('/chat/api/' + path, {
      method: method,
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
      cache: 'no-store'
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (r.ok) return d || {};
        var er = (d && d.error) || {};
        var e = new Error(er.message || '');
        e.http = true;
        e.status = r.status;
        e.code = String(er.code || '');
        throw e;
      });
    });
  }
  function errText(e) {
    return e && e.http ? (e.message || t('web.error_generic')) : t('web.error_network');
  }

  /* ---------- rendering ---------- */
  function scroll() { main.scrollTop = main.scrollHeight; }
  function msg(who) {
    var m = el('div', 'msg ' + who);
    list.appendChild(m);
    scroll();
    return m;
  }
  function bubble(parent, html, plain) {
    var b = el('div', 'bubble');
    if (plain != null) b.textContent = plain;
    else b.innerHTML = miniHtml(html);
    parent.appendChild(b);
    scroll();
    return b;
  }
  function system(s) { bubble(msg('sys'), null, s); }
  function caption(b, c) {
    if (!c) return;
    var d = el('div', 'cap');
    d.innerHTML = miniHtml(c);
    b.appendChild(d);
  }
  function safeUrl(u, image) {
    u = String(u || '');
    if (image) return /^(data:image\/|https?:\/\/|\/(?!\/))/i.test(u);
    return /^(data:|https?:\/\/|\/(?!\/))/i.test(u);
  }

  function keyboard(parent, rows) {
    if (!rows || !rows.length) return;
    var kb = el('div', 'kb');
    rows.forEach(function (row) {
      if (!row || !row.length) return;
      var r = el('div', 'kb-row');
      row.forEach(function (btn) {
        var b = el('button', null, btn.label);
        b.type = 'button';
        b.addEventListener('click', function () {
          if (b.disabled) return;
          var all = kb.querySelectorAll('button');
          for (var i = 0; i < all.length; i++) all[i].disabled = true;
          b.classList.add('chosen');
          send({ button: btn.payload }, btn.label).then(function (ok) {
            if (ok === 'network') { // never reached the server: allow another try
              for (var j = 0; j < all.length; j++) all[j].disabled = false;
              b.classList.remove('chosen');
            }
          });
        });
        r.appendChild(b);
      });
      kb.appendChild(r);
    });
    parent.appendChild(kb);
    scroll();
  }

  function reply(r) {
    if (!r) return;
    var m = msg('bot'), b;
    if (r.kind === 'image' && safeUrl(r.url, true)) {
      b = bubble(m, null, '');
      var img = el('img');
      img.alt = '';
      img.src = r.url;
      img.addEventListener('load', scroll);
      b.appendChild(img);
      caption(b, r.caption);
    } else if (r.kind === 'document' && safeUrl(r.url)) {
      b = bubble(m, null, '');
      var a = el('a', 'doc', r.filename || '\u2B07');
      a.href = r.url;
      a.download = r.filename || '';
      a.rel = 'noopener';
      if (!/^data:/i.test(r.url)) a.target = '_blank';
      b.appendChild(a);
      caption(b, r.caption);
    } else if (r.text || r.caption) {
      bubble(m, r.text || r.caption);
    }
    keyboard(m, r.buttons);
    if (!m.firstChild) list.removeChild(m);
    scroll();
  }

  var typingEl = null;
  function typing(on) {
    pending += on ? 1 : -1;
    if (pending > 0 && !typingEl) {
      typingEl = el('div', 'msg bot');
      typingEl.setAttribute('aria-hidden', 'true');
      var d = el('div', 'bubble typing');
      d.appendChild(el('i')); d.appendChild(el('i')); d.appendChild(el('i'));
      typingEl.appendChild(d);
    }
    if (pending > 0) { list.appendChild(typingEl); scroll(); } // keep it last
    else if (typingEl && typingEl.parentNode) typingEl.parentNode.removeChild(typingEl);
  }

  /* ---------- sessions and messages ---------- */
  function newSession() {
    var my = gen, who = nip;
    return api('POST', 'session', demo ? { nip: who } : {}).then(function (d) {
      if (my !== gen) throw new Error('stale');
      token = d.session;
      save('s:' + (who || ''), { session: d.session, name: d.name || null });
      if (d.name) personEl.textContent = d.name;
      return d;
    });
  }

  // Resolves true on success, 'network' if it never reached the server, false otherwise.
  function deliver(payload, my, attempt, renewed) {
    if (my !== gen) return Promise.resolve(false);
    if (!token) {
      return newSession().then(function () {
        return deliver(payload, my, attempt, true);
      }, function (e) {
        if (my === gen && e.message !== 'stale') system(errText(e));
        return e.http ? false : 'network';
      });
    }
    payload.session = token;
    return api('POST', 'messages', payload).then(function (d) {
      if (my === gen) (d.replies || []).forEach(reply);
      if (my === gen && d.language) follow(d.language);
      return true;
    }, function (e) {
      if (my !== gen) return false;
      if (!e.http && !attempt) { // retry once, same id
        return wait(800).then(function () { return deliver(payload, my, 1, renewed); });
      }
      if (e.http && !renewed && (e.status === 401 || /session/i.test(e.code))) {
        token = null; // session expired or unknown: get a new one
        save('s:' + (nip || ''), null);
        payload.id = uuid();
        return deliver(payload, my, 0, true);
      }
      system(errText(e));
      return e.http ? false : 'network';
    });
  }

  function send(body, label) {
    if (label != null) bubble(msg('user'), null, label);
    body.id = uuid();
    var my = gen;
    var job = function () {
      if (my !== gen) return false;
      typing(true);
      return deliver(body, my, 0, false).then(function (r) {
        if (my === gen) typing(false);
        return r;
      });
    };
    var p = queue.then(job, job);
    queue = p.then(null, function () {});
    return p;
  }

  /* ---------- pushes ----------
   * Messages the bot sends on its own (approval prompts, reminders) wait on the server until
   * this page fetches them; they are shown exactly like replies. One request at a time, only
   * while the page is visible (and at once when it becomes visible again). */
  var POLL_MS = 3000, polling = false;
  function poll() {
    if (!token || polling || document.hidden) return;
    var my = gen;
    polling = true;
    api('GET', 'inbox?session=' + encodeURIComponent(token)).then(function (d) {
      polling = false;
      if (my !== gen) return;
      var replies = (d && d.replies) || [];
      replies.forEach(reply);
      if (replies.length && typingEl && pending > 0) { list.appendChild(typingEl); scroll(); }
      if (d && d.language) follow(d.language);
    }, function () { polling = false; });
  }
  setInterval(poll, POLL_MS);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });

  function reset() {
    gen++;
    token = null;
    pending = 0;
    typingEl = null;
    list.textContent = '';
    queue = Promise.resolve();
  }

  function start(p) {
    reset();
    nip = p ? p.nip : null;
    if (demo) save('current', nip);
    picker.hidden = true;
    bar.hidden = false;
    switchBtn.hidden = !demo;
    var saved = load('s:' + (nip || ''));
    personEl.textContent = (p && p.name) || (saved && saved.name) || '';
    if (saved && saved.session) token = saved.session;
    send({ text: '/start' }); // no user bubble
    if (fine()) input.focus();
  }

  function showPicker() {
    reset();
    nip = null;
    save('current', null);
    personEl.textContent = '';
    switchBtn.hidden = true;
    bar.hidden = true;
    picker.hidden = false;
    var first = peopleEl.querySelector('button');
    if (first && fine()) first.focus();
  }

  function renderPeople() {
    peopleEl.textContent = '';
    people.forEach(function (p) {
      var li = el('li'), c = el('button', 'card');
      c.type = 'button';
      c.appendChild(el('span', 'name', p.name));
      if (p.position) c.appendChild(el('span', 'pos', p.position));
      if (p.unit) c.appendChild(el('span', 'unit', p.unit));
      var meta = el('span', 'meta');
      if (p.role) meta.appendChild(el('span', 'badge ' + String(p.role).replace(/[^a-z]/g, ''), t('web.role.' + p.role)));
      if (p.timezone) meta.appendChild(el('span', 'badge tz', p.timezone));
      c.appendChild(meta);
      c.addEventListener('click', function () { start(p); });
      li.appendChild(c);
      peopleEl.appendChild(li);
    });
  }

  // The page chrome follows the language the user picked in the chat (/bahasa).
  function follow(language) {
    if (language === lang) return;
    lang = language;
    api('GET', 'config?lang=' + encodeURIComponent(language)).then(function (c) {
      S = c.strings || S;
      document.documentElement.lang = c.language === 'en' ? 'en' : 'id';
      applyStrings();
    }, function () {});
  }

  function applyStrings() {
    var title = t('web.title');
    document.title = title;
    $('title').textContent = title;
    $('pick-title').textContent = t('web.pick_person');
    input.placeholder = t('web.input_placeholder');
    input.setAttribute('aria-label', t('web.input_placeholder'));
    sendBtn.textContent = t('web.send');
    switchBtn.textContent = t('web.switch_person');
  }

  /* ---------- input ---------- */
  function grow() {
    input.style.height = 'auto';
    input.style.height = Math.min(input.scrollHeight + 2, 160) + 'px';
  }
  function submit() {
    var s = input.value.replace(/^\s+|\s+$/g, '');
    if (!s) return;
    input.value = '';
    grow();
    send({ text: s }, s);
  }
  $('composer').addEventListener('submit', function (e) { e.preventDefault(); submit(); });
  input.addEventListener('keydown', function (e) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      submit();
    }
  });
  input.addEventListener('input', grow);
  switchBtn.addEventListener('click', showPicker);

  /* ---------- boot ---------- */
  function boot(n) {
    api('GET', 'config').then(function (c) {
      S = c.strings || {};
      demo = !!c.demo;
      lang = c.language;
      document.documentElement.lang = c.language === 'en' ? 'en' : 'id';
      applyStrings();
      list.textContent = '';
      if (!demo) {
        notice.textContent = t('web.not_demo');
        notice.hidden = false;
        start(null);
        return;
      }
      return api('GET', 'people').then(function (d) {
        people = (d && d.people) || [];
        renderPeople();
        var cur = load('current'), p = null;
        for (var i = 0; i < people.length; i++) if (people[i].nip === cur) p = people[i];
        if (p) start(p); else showPicker();
      }, function (e) { system(errText(e)); });
    }, function (e) {
      system(errText(e));
      if (!e.http && n < 4) setTimeout(function () { boot(n + 1); }, 2000 * (n + 1));
    });
  }
  boot(0);
})();
