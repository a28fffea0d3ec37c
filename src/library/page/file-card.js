// One stored file in the listing: name, duration, size, upload time, a player, download and delete.

import { canShare, may } from './access.js';
import { fetchMedia, mediaUrl, signDownload } from './api.js';
import { element } from './dom.js';
import { codeAndReason, formatDuration, formatSize, formatTime } from './format.js';
import { readsNeedToken } from './token.js';
import { waveformOf } from './waveform.js';

/** The object URL made for a card (reads behind a token), released when the card leaves the page. */
const objectUrls = new WeakMap();

/** `onDelete(status)` when Delete is pressed; `status` is the card's line for messages. */
export function fileCard(directory, file, { onDelete }) {
  const status = element('p', 'card-status');
  const card = element('li', 'file', [
    element('div', 'file-head', [element('span', 'name file-name', file.filename), titleOf(file.metadata)]),
    element('p', 'file-meta', [
      element('span', 'duration', formatDuration(file.metadata?.durationSeconds)),
      element('span', 'size', formatSize(file.size)),
      loudnessOf(file.metadata),
      uploadedAt(file.modified),
    ]),
  ]);
  card.dataset.filename = file.filename;

  const remove = element('button', 'secondary danger-text delete', 'Delete');
  remove.type = 'button';
  remove.addEventListener('click', () => onDelete(status));
  remove.hidden = !may('delete', directory);
  const share = shareControls(directory, file, status);

  if (readsNeedToken()) {
    const { player, download } = playerBehindToken(card, directory, file, status);
    card.append(player, element('div', 'file-actions', [download, ...share, remove]), status);
  } else {
    // Streams through the download endpoint, which serves byte ranges: the player can seek.
    const url = mediaUrl(directory, file.filename);
    const audio = element('audio', 'player');
    audio.controls = true;
    // The listing already gave the duration: no request per file until someone presses play.
    audio.preload = 'none';
    audio.src = url;
    const download = element('a', 'button secondary download', 'Download');
    download.href = url;
    download.download = file.filename;
    card.append(waveformOf(directory, file, audio), audio, element('div', 'file-actions', [download, ...share, remove]), status);
  }
  return card;
}

/** Lifetimes offered for a shared link, in seconds (the service caps them: auth.maxDownloadExpiresIn). */
const LIFETIMES = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['7 days', 604_800],
];

/**
 * Share: a signed download link with the chosen lifetime, copied to the clipboard and shown in the
 * card's status line; anyone with it can play or download this one file, with no token.
 */
function shareControls(directory, file, status) {
  if (!canShare(directory)) return [];
  const lifetime = element(
    'select',
    'share-lifetime',
    LIFETIMES.map(([label, seconds]) => {
      const option = element('option', '', label);
      option.value = String(seconds);
      return option;
    }),
  );
  lifetime.setAttribute('aria-label', 'Link valid for');
  const share = element('button', 'secondary share', 'Share');
  share.type = 'button';
  share.addEventListener('click', async () => {
    status.textContent = 'Signing a link…';
    const answer = await signDownload(directory, file.filename, Number(lifetime.value));
    if (answer.code !== 200) {
      status.textContent = `Not shared: ${codeAndReason(answer)}`;
      return;
    }
    const copied = await navigator.clipboard?.writeText(answer.url).then(
      () => true,
      () => false,
    );
    const link = element('a', 'share-link', 'link');
    link.href = answer.url;
    link.target = '_blank';
    link.rel = 'noopener';
    const until = new Date(answer.expiresAt).toLocaleString();
    status.replaceChildren(copied ? 'Copied a ' : 'Copy this ', link, ` (valid until ${until}).`);
  });
  return [lifetime, share];
}

export function releaseCard(card) {
  const url = objectUrls.get(card);
  if (url) URL.revokeObjectURL(url);
  objectUrls.delete(card);
}

function titleOf(metadata) {
  const words = [metadata?.title, metadata?.artist].filter(Boolean).join(' — ');
  return words ? element('span', 'file-title', words) : '';
}

/** Integrated loudness (EBU R128) once the service has analysed the file. */
function loudnessOf(metadata) {
  const integrated = metadata?.loudness?.integrated;
  if (typeof integrated !== 'number') return '';
  const span = element('span', 'loudness', `${integrated.toFixed(1)} LUFS`);
  span.title = 'Integrated loudness (EBU R128)';
  return span;
}

function uploadedAt(iso) {
  const time = element('time', 'uploaded', `uploaded ${formatTime(iso)}`);
  time.dateTime = iso;
  return time;
}

/**
 * When reads need a token, an <audio src> would be refused (it cannot send Authorization), so the
 * file is fetched with the token on demand and played from an object URL (CSP media-src blob:).
 */
function playerBehindToken(card, directory, file, status) {
  const audio = element('audio', 'player');
  audio.controls = true;
  audio.hidden = true;
  const play = element('button', 'secondary play', 'Load and play');
  play.type = 'button';
  play.addEventListener('click', async () => {
    const url = await objectUrl(card, directory, file, status);
    if (!url) return;
    audio.src = url;
    audio.hidden = false;
    play.remove();
    await audio.play().catch(() => {});
  });
  const download = element('button', 'secondary download', 'Download');
  download.type = 'button';
  download.addEventListener('click', async () => {
    const url = await objectUrl(card, directory, file, status);
    if (!url) return;
    const link = element('a', '', '');
    link.href = url;
    link.download = file.filename;
    link.click();
  });
  return { player: element('div', 'player-slot', [play, audio]), download };
}

async function objectUrl(card, directory, file, status) {
  const known = objectUrls.get(card);
  if (known) return known;
  status.textContent = 'Loading…';
  const answer = await fetchMedia(directory, file.filename);
  if (answer.code !== 200) {
    status.textContent = `Could not load: ${codeAndReason(answer)}`;
    return undefined;
  }
  status.textContent = '';
  const url = URL.createObjectURL(answer.blob);
  objectUrls.set(card, url);
  return url;
}
