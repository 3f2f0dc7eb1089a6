// Live session page. The session's Server-Sent Events say that something changed; the page then fetches its own
// changing parts (header, new transcript entries, approvals) rendered by the server exactly as on a reload, so what
// the model wrote is sanitised in one place, and swaps them in. Output of tool calls still running streams in as
// plain text (textContent), and goes away when the call's result arrives.
(function () {
  const root = document.getElementById('session');
  const box = document.getElementById('session-follow');
  if (!root || !box || root.dataset.final === 'true') return;
  const transcript = document.getElementById('transcript');
  const outputs = document.getElementById('live-output');
  const maxOutput = 20000;
  let after = Number(root.dataset.after || 0);
  let source = null;
  let busy = false;
  let again = false;

  const adopt = (from) => Array.from(from.childNodes, (n) => document.adoptNode(n));

  // Approvals are redrawn only when they changed, so a comment being typed is not wiped by an unrelated update.
  const swapApprovals = (from) => {
    const target = document.getElementById('session-approvals');
    if (!target || !from) return;
    const text = (el) => el.textContent.replace(/\s+/g, ' ').trim();
    if (text(target) !== text(from)) target.replaceChildren(...adopt(from));
  };

  const refresh = async () => {
    if (busy) { again = true; return; }
    busy = true;
    try {
      const res = await fetch(root.dataset.live + '?after=' + after, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) return;
      // DOMParser builds an inert document: nothing in it runs or loads.
      const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
      const header = doc.getElementById('live-header');
      const target = document.getElementById('session-header');
      if (header && target) target.replaceChildren(...adopt(header));
      swapApprovals(doc.getElementById('live-approvals'));
      const entries = doc.getElementById('live-entries');
      for (const entry of Array.from(entries ? entries.children : [])) {
        const seq = Number(entry.dataset.seq);
        if (!(seq > after)) continue;
        entry.classList.add('fresh');
        transcript.appendChild(document.adoptNode(entry));
        after = seq;
        if (entry.dataset.kind === 'tool_result' && entry.dataset.call) {
          const running = outputs.querySelector('[data-call="' + CSS.escape(entry.dataset.call) + '"]');
          if (running) running.remove();
        }
      }
      // A long stretch comes in pieces: ask for the rest at once.
      if (entries && entries.dataset.more === 'true') again = true;
      const empty = document.getElementById('transcript-empty');
      if (empty && transcript.children.length > 0) empty.hidden = true;
    } catch (e) {
      // The next change (or the stream's reconnect) tries again.
    } finally {
      busy = false;
      if (again) { again = false; refresh(); }
    }
  };

  const output = (chunk) => {
    let block = outputs.querySelector('[data-call="' + CSS.escape(chunk.callId) + '"]');
    if (!block) {
      block = document.createElement('div');
      block.className = 'running';
      block.dataset.call = chunk.callId;
      const label = document.createElement('div');
      label.className = 'muted small';
      label.textContent = 'Running ' + chunk.callId + '…';
      const pre = document.createElement('pre');
      pre.className = 'output';
      block.append(label, pre);
      outputs.appendChild(block);
    }
    const pre = block.querySelector('pre');
    const text = pre.textContent + chunk.text;
    pre.textContent = text.length > maxOutput ? text.slice(text.length - maxOutput) : text;
  };

  const ended = () => {
    if (document.getElementById('session-ended')) return;
    const note = document.createElement('div');
    note.id = 'session-ended';
    note.className = 'banner ok';
    note.setAttribute('role', 'status');
    const link = document.createElement('a');
    link.href = location.pathname;
    link.textContent = 'Reload';
    note.append('The session has ended. ', link, ' for its final changes and audit events.');
    root.prepend(note);
  };

  const follow = () => {
    if (source) { source.close(); source = null; }
    if (!box.checked) return;
    source = new EventSource(root.dataset.stream + '?after=' + after);
    source.addEventListener('entry', refresh);
    source.addEventListener('session', refresh);
    source.addEventListener('output', (msg) => output(JSON.parse(msg.data)));
    source.addEventListener('end', () => {
      source.close();
      source = null;
      refresh().then(ended);
    });
  };
  box.addEventListener('change', follow);
  follow();
})();
