"use strict";
// The citizen web chat: anonymous session, text and buttons, pushes polled every 5 s.
(function () {
  const ALLOWED = new Set(["B", "I", "U", "S", "CODE", "PRE", "BLOCKQUOTE", "A", "BR"]);
  const box = document.getElementById("messages");
  let session = null;
  let counter = 0;
  let language = null;

  function sanitise(html) {
    const doc = new DOMParser().parseFromString("<div>" + html + "</div>", "text/html");
    const clean = (node) => {
      for (const child of Array.from(node.childNodes)) {
        if (child.nodeType === 1) {
          if (!ALLOWED.has(child.tagName)) { child.replaceWith(document.createTextNode(child.textContent)); continue; }
          for (const attr of Array.from(child.attributes)) {
            const ok = child.tagName === "A" && attr.name === "href" && /^https?:/.test(attr.value);
            if (!ok) child.removeAttribute(attr.name);
          }
          if (child.tagName === "A") { child.target = "_blank"; child.rel = "noopener"; }
          clean(child);
        }
      }
    };
    const root = doc.body.firstChild;
    clean(root);
    return root;
  }

  function show(reply) {
    const div = document.createElement("div");
    div.className = "msg";
    if (reply.kind === "text") {
      div.appendChild(sanitise(reply.text));
    } else if (reply.kind === "image") {
      const img = document.createElement("img");
      img.src = reply.url; img.alt = reply.caption || "";
      div.appendChild(img);
    } else if (reply.kind === "document") {
      const a = document.createElement("a");
      a.href = reply.url; a.download = reply.filename; a.textContent = reply.filename;
      div.appendChild(a);
    }
    if (reply.buttons && reply.buttons.length) {
      const row = document.createElement("div");
      row.className = "buttons";
      for (const line of reply.buttons) {
        for (const b of line) {
          const button = document.createElement("button");
          button.type = "button"; button.textContent = b.label;
          button.addEventListener("click", () => { mine(b.label); post({ button: b.payload }); });
          row.appendChild(button);
        }
      }
      div.appendChild(row);
    }
    box.appendChild(div);
    box.parentElement.scrollTop = box.parentElement.scrollHeight;
  }

  function mine(text) {
    const div = document.createElement("div");
    div.className = "msg me"; div.textContent = text;
    box.appendChild(div);
  }

  async function post(body) {
    counter += 1;
    body.session = session; body.id = Date.now().toString(36) + "-" + counter;
    if (language) body.lang = language;
    const response = await fetch("/layanan/api/messages", {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
    });
    const data = await response.json();
    (data.replies || []).forEach(show);
  }

  async function poll() {
    if (!session) return;
    const response = await fetch("/layanan/api/inbox?session=" + encodeURIComponent(session));
    if (response.ok) ((await response.json()).replies || []).forEach(show);
  }

  async function start() {
    const params = new URLSearchParams(location.search);
    const config = await (await fetch("/layanan/api/config?lang=" + (params.get("lang") || ""))).json();
    language = params.get("lang") ? config.language : null;
    document.getElementById("title").textContent = config.strings["citizen.web.title"];
    document.title = config.strings["citizen.web.title"];
    document.getElementById("input").placeholder = config.strings["citizen.web.placeholder"];
    document.getElementById("send").textContent = config.strings["citizen.web.send"];
    session = sessionStorage.getItem("layanan-session");
    if (!session) {
      session = (await (await fetch("/layanan/api/session", { method: "POST" })).json()).session;
      sessionStorage.setItem("layanan-session", session);
    }
    const link = params.get("start");
    await post({ text: link ? "/start " + link : "/start" });
    setInterval(poll, 5000);
  }

  document.getElementById("composer").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = document.getElementById("input");
    const text = input.value.trim();
    if (!text) return;
    input.value = ""; mine(text); post({ text });
  });
  start();
})();
