// Upload: files picked or dropped go up in one request each, so each has its own progress bar and
// its own result; a few run at a time and the rest wait their turn.

import { CANCELLED, uploadFile } from './api.js';
import { codeAndReason, formatDuration, formatSize, outcomeOf } from './format.js';
import { element } from './dom.js';

// Browsers open about six connections per host; leave some for the listing and the players.
const PARALLEL_UPLOADS = 3;

const ui = {
  directory: document.getElementById('upload-directory'),
  dropZone: document.getElementById('drop-zone'),
  input: document.getElementById('file-input'),
  hint: document.getElementById('upload-hint'),
  list: document.getElementById('upload-list'),
};

/** Uploads waiting for a free slot, oldest first. */
const waiting = [];
let running = 0;
/** True while the directory field holds what the person typed rather than what browsing put there. */
let directoryEdited = false;
let hooks = { onStart: () => {}, onStored: () => {} };

/** `onStart(directory)` when a batch begins, `onStored(directory)` after each stored file. */
export function initUpload(callbacks) {
  hooks = callbacks;
}

/** Browsing into a directory makes it the upload target, unless the person typed another one. */
export function followDirectory(directory) {
  if (directory && !directoryEdited) ui.directory.value = directory;
}

function startUploads(fileList) {
  const files = [...fileList];
  if (files.length === 0) return;
  // The service checks the rest of the rules and says which one a name breaks.
  const directory = ui.directory.value.trim().replace(/^\/+|\/+$/g, '');
  if (!directory) {
    ui.hint.textContent = 'Enter a directory first (for example "songs"), then choose the files again.';
    ui.directory.focus();
    return;
  }
  ui.directory.value = directory;
  ui.hint.textContent = '';
  hooks.onStart(directory);
  for (const file of files) void uploadOne(file, directory);
}

/** Shows the file's row at once, uploads it when its turn comes, then shows the verdict. */
async function uploadOne(file, directory) {
  const row = uploadRow(file, directory);
  ui.list.append(row.item);
  const controller = new AbortController();
  // Cancel settles the row at once, whether it waits its turn, uploads, or waits for a token.
  const cancelled = new Promise((resolve) => {
    row.cancel.addEventListener(
      'click',
      () => {
        controller.abort();
        resolve(CANCELLED);
      },
      { once: true },
    );
  });
  const uploaded = turn().then(async (release) => {
    try {
      return await uploadFile(directory, file, {
        signal: controller.signal,
        onProgress: row.progress,
        onTokenNeeded: row.waitForToken,
        onControl: row.pausable,
        onRetry: row.retrying,
      });
    } finally {
      release();
    }
  });
  const answer = await Promise.race([uploaded, cancelled]);
  row.done(answer);
  if (answer.code === 200) hooks.onStored(directory);
}

/** Resolves with a release function once fewer than PARALLEL_UPLOADS uploads are running. */
function turn() {
  return new Promise((resolve) => {
    waiting.push(resolve);
    pump();
  });
}

function pump() {
  while (running < PARALLEL_UPLOADS && waiting.length > 0) {
    running += 1;
    const start = waiting.shift();
    start(() => {
      running -= 1;
      pump();
    });
  }
}

/** One file's row: name, target directory, progress bar, then the service's verdict. */
function uploadRow(file, directory) {
  const bar = element('progress', 'upload-bar');
  bar.max = 1;
  bar.value = 0;
  const status = element('span', 'upload-status', 'Waiting');
  const cancel = element('button', 'secondary small', 'Cancel');
  cancel.type = 'button';
  // Resumable uploads only (large files): stop sending and go on later from where it stopped.
  const pause = element('button', 'secondary small upload-pause', 'Pause');
  pause.type = 'button';
  pause.hidden = true;
  // Four cells, as the grid has four columns: the buttons share the last one.
  const item = element('li', 'upload-item', [
    element('span', 'upload-name', [element('span', 'name', file.name), element('span', 'upload-target', `→ ${directory}/`)]),
    bar,
    status,
    element('span', 'upload-actions', [pause, cancel]),
  ]);
  item.dataset.state = 'waiting';
  return {
    item,
    cancel,
    progress(fraction) {
      item.dataset.state = 'uploading';
      bar.value = fraction;
      status.textContent = fraction < 1 ? `${Math.floor(fraction * 100)} %` : 'Checking…';
      // Every byte is sent and the service is storing the file: cancelling now could not promise
      // that nothing was kept.
      cancel.hidden = fraction >= 1;
      pause.hidden = pause.hidden || fraction >= 1;
    },
    pausable(control) {
      let paused = false;
      pause.hidden = false;
      pause.onclick = () => {
        paused = !paused;
        if (paused) control.pause();
        else control.resume();
        pause.textContent = paused ? 'Resume' : 'Pause';
        item.dataset.state = paused ? 'paused' : 'uploading';
        if (paused) status.textContent = `Paused at ${Math.floor(bar.value * 100)} %`;
      };
    },
    retrying(attempt, attempts) {
      status.textContent = `Connection lost: retrying (${attempt} of ${attempts})…`;
    },
    waitForToken() {
      status.textContent = 'Waiting for a token…';
      cancel.hidden = false;
    },
    done(answer) {
      item.dataset.state = answer.code === 200 ? 'stored' : answer.cancelled ? 'cancelled' : 'failed';
      item.dataset.code = String(answer.code);
      bar.value = answer.code === 200 ? 1 : bar.value;
      cancel.remove();
      pause.remove();
      const outcome = answer.cancelled ? 'Cancelled' : outcomeOf(answer.code);
      status.replaceChildren(element('strong', 'outcome', outcome), ' ', element('span', 'reason', details(answer)));
    },
  };
}

function details(answer) {
  if (answer.cancelled) return 'not stored';
  if (answer.code !== 200) return codeAndReason(answer);
  return `${formatSize(answer.size)} · ${formatDuration(answer.metadata?.durationSeconds)}`;
}

ui.directory.addEventListener('input', () => {
  directoryEdited = ui.directory.value.trim() !== '';
});

ui.input.addEventListener('change', () => {
  startUploads(ui.input.files);
  // Let the same file be picked again (after a refusal, say).
  ui.input.value = '';
});

for (const type of ['dragenter', 'dragover']) {
  ui.dropZone.addEventListener(type, (drag) => {
    drag.preventDefault();
    ui.dropZone.classList.add('dragging');
  });
}
ui.dropZone.addEventListener('dragleave', () => ui.dropZone.classList.remove('dragging'));
ui.dropZone.addEventListener('drop', (drop) => {
  drop.preventDefault();
  ui.dropZone.classList.remove('dragging');
  startUploads(drop.dataTransfer?.files ?? []);
});
// A file dropped beside the zone would make the browser leave the page to open it.
for (const type of ['dragover', 'drop']) window.addEventListener(type, (drag) => drag.preventDefault());
