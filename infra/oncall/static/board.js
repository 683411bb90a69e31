// The on-call board follows Prometheus and Alertmanager without a reload: every page's changing part
// (#live) is fetched again as server-rendered HTML (?part=live) every data-refresh seconds.
"use strict";
(function () {
  const live = document.getElementById("live");
  if (!live) return;
  const seconds = Math.max(1, Number(live.dataset.refresh || 5));
  const banner = document.getElementById("unreachable");
  const since = document.getElementById("unreachable-since");
  let lastGood = new Date();

  function liveUrl() {
    const url = new URL(window.location.href);
    url.searchParams.set("part", "live");
    return url.toString();
  }

  function editing() {
    // Never swap the part under someone typing in a form inside it.
    const el = document.activeElement;
    return el && live.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  async function refresh() {
    if (document.hidden || editing()) return;
    try {
      const answer = await fetch(liveUrl(), { headers: { "Accept": "text/html" }, credentials: "same-origin", cache: "no-store" });
      if (!answer.ok && answer.status >= 500) throw new Error("HTTP " + answer.status);
      if (answer.redirected || answer.status === 401) { window.location.reload(); return; }
      const open = Array.from(live.querySelectorAll("details[open]")).map((d) => d.id).filter(Boolean);
      live.innerHTML = await answer.text();
      open.forEach((id) => { const d = document.getElementById(id); if (d) d.open = true; });
      lastGood = new Date();
      if (banner) banner.hidden = true;
      document.dispatchEvent(new CustomEvent("board:refreshed"));
    } catch (err) {
      if (banner) { banner.hidden = false; if (since) since.textContent = lastGood.toLocaleTimeString(); }
    }
  }
  window.setInterval(refresh, seconds * 1000);
})();
