// The media library page: upload, browse, play and delete through the public media API only.
// Modules: api.js (the API), token.js (bearer token), access.js (what the key may do), upload.js,
// browse.js, file-card.js, live-updates.js (GET /events).

import { refreshAccess } from './access.js';
import { initBrowse, showDirectory, shownDirectory } from './browse.js';
import { followEvents } from './live-updates.js';
import { followDirectory, initUpload } from './upload.js';

/** Stored files arrive one by one; one listing a moment after the last keeps requests few. */
const REFRESH_DELAY_MS = 250;
let refreshTimer;

initUpload({
  // The files are going there: show that directory, where they appear as they are stored.
  onStart: (directory) => showDirectory(directory),
  onStored: (directory) => refreshSoon(directory),
});

function refreshSoon(directory) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(() => {
    if (shownDirectory() === directory) void showDirectory(directory);
  }, REFRESH_DELAY_MS);
}

// Files stored or deleted by other clients: in the shown directory, or below it (a new subdirectory).
followEvents(({ data }) => {
  const shown = shownDirectory();
  if (shown === '' || data.directory === shown || data.directory.startsWith(`${shown}/`)) refreshSoon(shown);
});

void refreshAccess();
initBrowse({ onShown: followDirectory });
