"""The dashboard's one page: its panels drawn on the server, a little CSS, and a script that
applies pushed panels and sends actions (with the token from the page's URL)."""

from __future__ import annotations

from gt.dashboard.panels import PANELS, esc

TITLES = {"problems": "Problems", "convoys": "Convoys", "work": "Work", "agents": "Agents",
          "merge": "Merge queue", "mail": "Mail", "escalations": "Escalations",
          "activity": "Activity", "rigs": "Rigs"}

STYLE = """
body{font:14px/1.35 system-ui,sans-serif;margin:0;background:#f5f6f8;color:#1d2330}
header{background:#1d2330;color:#fff;padding:8px 16px;display:flex;gap:16px;align-items:baseline}
header h1{font-size:18px;margin:0}#live{font-size:12px;color:#9fd49f}
main{display:grid;grid-template-columns:repeat(auto-fit,minmax(440px,1fr));gap:12px;padding:12px}
section{background:#fff;border:1px solid #d8dce3;border-radius:6px;padding:8px 12px;
overflow:auto;max-height:460px}
section h2{font-size:15px;margin:0 0 6px}section h3{font-size:13px;margin:6px 0 4px}
#panel-problems{grid-column:1/-1;max-height:none}
#panel-work,#panel-agents{grid-column:span 2}td.acts{white-space:nowrap}
table{border-collapse:collapse;width:100%}td,th{padding:3px 6px;border-bottom:1px solid #eee;
text-align:left;vertical-align:top}th{font-size:12px;color:#667}
code{font-size:12px;color:#245}ul{margin:0;padding-left:18px}.feed{list-style:none;padding:0}
.feed time{color:#889;font-size:12px}.empty,.dim{color:#889}.ok{color:#1a7f37}
.bad,.error{color:#b42318}.warning{color:#9a6700}.unread td{font-weight:600}
.bar{display:inline-block;width:70px;height:8px;background:#e4e7ec;margin-right:6px}
.bar div{height:8px;background:#1a7f37}.cols{display:grid;grid-template-columns:1fr 1fr 1fr;
gap:8px}.cols ul{font-size:13px}button{font-size:12px;margin:1px}
form{margin-top:6px;display:flex;gap:4px;flex-wrap:wrap}input{font-size:12px;flex:1}
.state-working{color:#0b5cad}.state-stalled,.state-dead{color:#b42318;font-weight:600}
#toast{position:fixed;bottom:12px;right:12px;background:#1d2330;color:#fff;padding:6px 10px;
border-radius:4px;display:none}pre{background:#111;color:#ddd;padding:6px;font-size:12px;
max-height:200px;overflow:auto}
"""

SCRIPT = """
const token = new URLSearchParams(location.search).get('token') || '';
const toast = (text) => { const t = document.getElementById('toast');
  t.textContent = text; t.style.display = 'block';
  clearTimeout(t.hide); t.hide = setTimeout(() => t.style.display = 'none', 4000); };
async function act(action, body) {
  const answer = await fetch('/api/' + action, {method: 'POST', headers:
    {'Content-Type': 'application/json', 'X-GT-Token': token}, body: JSON.stringify(body)});
  const data = await answer.json().catch(() => ({error: answer.statusText}));
  toast(answer.ok ? action + ': done' : action + ': ' + (data.error || answer.status));
  return data;
}
document.addEventListener('click', async (event) => {
  const b = event.target.closest('button[data-action]'); if (!b) return;
  const d = Object.assign({}, b.dataset); const action = d.action; delete d.action;
  if (action === 'peek') {
    const r = await fetch('/api/peek?agent=' + encodeURIComponent(d.agent));
    const p = document.getElementById('peek'); p.hidden = false;
    p.textContent = (await r.json()).output || '(no output)'; return; }
  if (action === 'nudge') { d.text = prompt('Nudge ' + d.agent + ' with:'); if (!d.text) return; }
  if (action === 'reject') { d.reason = prompt('Why reject ' + d.bead + '?') || ''; }
  await act(action, d);
});
document.addEventListener('submit', async (event) => {
  const form = event.target.closest('form[data-form]'); if (!form) return;
  event.preventDefault();
  await act(form.dataset.form, Object.fromEntries(new FormData(form).entries()));
  form.reset();
});
const live = document.getElementById('live');
const source = new EventSource('/events');
source.onopen = () => { live.textContent = 'live'; };
source.onerror = () => { live.textContent = 'reconnecting...'; };
source.onmessage = (event) => {
  const data = JSON.parse(event.data);
  for (const [name, html] of Object.entries(data.panels)) {
    const body = document.getElementById('body-' + name); if (body) body.innerHTML = html; }
  document.body.dataset.version = data.version;
};
"""


def render(town_name: str, drawn: dict[str, str], version: int) -> str:
    sections = "".join(
        f'<section id="panel-{name}"><h2>{TITLES[name]}</h2>'
        f'<div id="body-{name}">{drawn[name]}</div></section>' for name in PANELS)
    return (f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width,initial-scale=1">'
            f"<title>gt: {esc(town_name)}</title><style>{STYLE}</style></head>"
            f'<body data-version="{version}"><header><h1>Gas Town: {esc(town_name)}</h1>'
            f'<span id="live">connecting...</span></header><main>{sections}</main>'
            f'<div id="toast"></div><script>{SCRIPT}</script></body></html>')
