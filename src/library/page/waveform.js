// A stored file's waveform, drawn by wavesurfer.js from the peaks the service computed
// (GET /waveforms): the file itself is not downloaded to draw it. Clicking seeks the card's player.

import WaveSurfer from '/library/vendor/wavesurfer.esm.js';
import { waveformUrl } from './api.js';
import { element } from './dom.js';

/** Pixels asked for: wide enough for a card on a wide screen; the service merges stored pixels down to it. */
const PIXELS = 1200;

/**
 * wavesurfer.js styles its shadow root with an inline <style>, which the page's
 * Content-Security-Policy (no inline styles) refuses: its only way round is a nonce
 * (wavesurfer.js issue #3602), which a static page has not got. The same rules as a constructed
 * style sheet are not inline markup, so they apply.
 */
const SHADOW_CSS = `
  :host { user-select: none; min-width: 1px; }
  :host .scroll { overflow-x: auto; overflow-y: hidden; width: 100%; position: relative; }
  :host .wrapper { position: relative; overflow: visible; z-index: 2; }
  :host .canvases { min-height: 48px; pointer-events: none; }
  :host .canvases > div { position: relative; }
  :host canvas { display: block; position: absolute; top: 0; image-rendering: pixelated; }
  :host .progress { pointer-events: none; position: absolute; z-index: 2; top: 0; left: 0; width: 0; height: 100%; overflow: hidden; }
  :host .progress > div { position: relative; }
  :host .cursor { pointer-events: none; position: absolute; z-index: 5; top: 0; left: 0; height: 100%; border-radius: 2px; }
`;
let shadowSheet;

/** A container that fills with the waveform once its peaks arrive; empty when there are none. */
export function waveformOf(directory, file, audio) {
  const container = element('div', 'waveform');
  if (file.metadata?.analysis !== 'done') return container;
  void draw(container, directory, file, audio);
  return container;
}

async function draw(container, directory, file, audio) {
  const response = await fetch(waveformUrl(directory, file.filename, PIXELS)).catch(() => undefined);
  if (!response?.ok) return;
  const waveform = await response.json();
  const duration = file.metadata.durationSeconds ?? (waveform.length * waveform.samples_per_pixel) / waveform.sample_rate;
  const surfer = withoutInlineStyles(() =>
    WaveSurfer.create({
      container,
      media: audio,
      peaks: channelsOf(waveform),
      duration,
      height: 48,
      waveColor: '#93c5fd',
      progressColor: '#2563eb',
      cursorColor: '#1e3a8a',
      interact: true,
    }),
  );
  // wavesurfer.js has moved the player to the clicked time; playing from there is what a click means.
  surfer.on('interaction', () => void surfer.play().catch(() => {}));
  shadowSheet ??= sheetOf(SHADOW_CSS);
  const root = surfer.getWrapper().getRootNode();
  if (root instanceof ShadowRoot) root.adoptedStyleSheets = [shadowSheet];
}

/** audiowaveform's interleaved min/max pairs per channel, as one array per channel scaled to [-1, 1]. */
function channelsOf({ channels, data }) {
  return Array.from({ length: channels }, (_, channel) => {
    const values = new Float32Array((data.length / channels) | 0);
    for (let pixel = 0, at = 0; at < values.length; pixel++, at += 2) {
      values[at] = data[(pixel * channels + channel) * 2] / 32768;
      values[at + 1] = data[(pixel * channels + channel) * 2 + 1] / 32768;
    }
    return values;
  });
}

/**
 * Runs `create` (synchronous: wavesurfer.js builds its shadow root in its constructor) with the
 * <style> left out of any shadow root's markup, so the browser never meets the inline style to refuse.
 */
function withoutInlineStyles(create) {
  const innerHTML = Object.getOwnPropertyDescriptor(ShadowRoot.prototype, 'innerHTML');
  Object.defineProperty(ShadowRoot.prototype, 'innerHTML', {
    ...innerHTML,
    set(html) {
      innerHTML.set.call(this, String(html).replace(/<style[^>]*>[\s\S]*?<\/style>/g, ''));
    },
  });
  try {
    return create();
  } finally {
    Object.defineProperty(ShadowRoot.prototype, 'innerHTML', innerHTML);
  }
}

function sheetOf(css) {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  return sheet;
}
