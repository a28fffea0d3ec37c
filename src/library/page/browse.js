// Browse: the directory named in the address (#/songs/2024, so Back and reload work), its
// subdirectories and one page of its files, with Previous/Next through the listing's cursors.

import { accessKnown } from './access.js';
import { deleteFile, listDirectory } from './api.js';
import { confirmDelete } from './confirm-dialog.js';
import { element } from './dom.js';
import { fileCard, releaseCard } from './file-card.js';
import { codeAndReason } from './format.js';

const PAGE_SIZE = 20;

const ui = {
  refresh: document.getElementById('refresh'),
  breadcrumbs: document.getElementById('breadcrumbs'),
  status: document.getElementById('browse-status'),
  directories: document.getElementById('directories'),
  files: document.getElementById('files'),
  pager: document.getElementById('pager'),
  previous: document.getElementById('previous'),
  next: document.getElementById('next'),
  pageLabel: document.getElementById('page-label'),
};

/** `cursors[i]` starts page i (undefined for the first); the listing hands out the next one. */
const state = { directory: '', cursors: [undefined], page: 0, nextCursor: undefined };
/** Only the answer to the latest listing request is shown, whatever order answers arrive in. */
let latestLoad = 0;
let onDirectoryShown = () => {};

/** Starts following the address; `onShown(directory)` whenever another directory is shown. */
export function initBrowse({ onShown }) {
  onDirectoryShown = onShown;
  window.addEventListener('hashchange', fromAddress);
  fromAddress();
}

/** Shows `directory` from its first page, or reloads the current page when it is already shown. */
export function showDirectory(directory) {
  if (directory === state.directory) return load();
  location.hash = hashOf(directory);
  return undefined;
}

export function shownDirectory() {
  return state.directory;
}

function fromAddress() {
  state.directory = directoryOfHash(location.hash);
  state.cursors = [undefined];
  state.page = 0;
  onDirectoryShown(state.directory);
  void load();
}

function hashOf(directory) {
  return `#/${directory.split('/').filter(Boolean).map(encodeURIComponent).join('/')}`;
}

function directoryOfHash(hash) {
  try {
    return hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent).join('/');
  } catch {
    return ''; // a malformed %-escape typed by hand: show the root
  }
}

async function load() {
  const ticket = ++latestLoad;
  const { directory, page } = state;
  renderBreadcrumbs(directory);
  ui.status.textContent = 'Loading…';
  const [answer] = await Promise.all([listDirectory(directory, { limit: PAGE_SIZE, cursor: state.cursors[page] }), accessKnown()]);
  if (ticket !== latestLoad) return;
  if (answer.code === 200 && answer.files.length === 0 && page > 0) {
    // The last files of this page were deleted: show the page before.
    state.page -= 1;
    return load();
  }
  if (answer.code === 200) {
    render(directory, answer);
    ui.status.textContent = emptyText(directory, answer);
  } else if (answer.code === 404 && directory) {
    render(directory, { directories: [], files: [] });
    ui.status.textContent = `Nothing in ${directory}/ yet: upload files into it above.`;
  } else {
    render(directory, { directories: [], files: [] });
    ui.status.textContent = `Could not list ${directory || 'the library'}: ${codeAndReason(answer)}`;
  }
}

function emptyText(directory, answer) {
  if (answer.files.length > 0 || answer.directories.length > 0) return '';
  return directory ? `${directory}/ is empty.` : 'Nothing stored yet: upload files above.';
}

function render(directory, answer) {
  renderDirectories(directory, answer.directories);
  renderFiles(directory, answer.files);
  state.nextCursor = answer.nextCursor;
  ui.pager.hidden = state.page === 0 && !state.nextCursor;
  ui.previous.disabled = state.page === 0;
  ui.next.disabled = !state.nextCursor;
  ui.pageLabel.textContent = `Page ${state.page + 1}`;
}

function renderBreadcrumbs(directory) {
  const segments = directory ? directory.split('/') : [];
  const crumbs = [crumb('Library', '', segments.length === 0)];
  segments.forEach((segment, index) => {
    crumbs.push(crumb(segment, segments.slice(0, index + 1).join('/'), index === segments.length - 1));
  });
  ui.breadcrumbs.replaceChildren(...crumbs);
}

function crumb(text, directory, current) {
  if (current) {
    const here = element('li', 'name', text);
    here.setAttribute('aria-current', 'page');
    return here;
  }
  const link = element('a', 'name', text);
  link.href = hashOf(directory);
  return element('li', '', [link]);
}

function renderDirectories(directory, names) {
  ui.directories.replaceChildren(
    ...names.map((name) => {
      const link = element('a', 'name', `${name}/`);
      link.href = hashOf(directory ? `${directory}/${name}` : name);
      return element('li', 'directory', [link]);
    }),
  );
}

/**
 * Cards of files still listed (same place, same content) are kept as they are, so a player that is
 * playing goes on playing through a refresh.
 */
function renderFiles(directory, files) {
  const previous = new Map([...ui.files.children].map((card) => [card.dataset.key, card]));
  const cards = files.map((file) => {
    const key = JSON.stringify([directory, file.filename, file.sha256]);
    const kept = previous.get(key);
    previous.delete(key);
    if (kept) return kept;
    const card = fileCard(directory, file, { onDelete: (status) => deleteWithConfirmation(directory, file, card, status) });
    card.dataset.key = key;
    return card;
  });
  for (const dropped of previous.values()) releaseCard(dropped);
  ui.files.replaceChildren(...cards);
}

async function deleteWithConfirmation(directory, file, card, status) {
  if (!(await confirmDelete(directory, file.filename))) return;
  card.dataset.state = 'deleting';
  status.textContent = 'Deleting…';
  const answer = await deleteFile(directory, file.filename);
  if (answer.code !== 200) {
    delete card.dataset.state;
    status.textContent = `Not deleted: ${codeAndReason(answer)}`;
    return;
  }
  await load();
  ui.status.textContent = answer.deleted ? `Deleted ${file.filename}.` : `${file.filename} was already gone.`;
}

ui.refresh.addEventListener('click', () => void load());
ui.previous.addEventListener('click', () => {
  state.page -= 1;
  void load();
});
ui.next.addEventListener('click', () => {
  state.cursors[state.page + 1] = state.nextCursor;
  state.page += 1;
  void load();
});
