// The media library page: upload, browse, play and delete through the public media API only.
// Modules: api.js (the API), token.js (bearer token), access.js (what the key may do), upload.js,
// browse.js, file-card.js.

import { refreshAccess } from './access.js';
import { initBrowse, showDirectory, shownDirectory } from './browse.js';
import { followDirectory, initUpload } from './upload.js';

/** Stored files arrive one by one; one listing a moment after the last keeps requests few. */
const REFRESH_DELAY_MS = 250;
let refreshTimer;

initUpload({
  // The files are going there: show that directory, where they appear as they are stored.
  onStart: (directory) => showDirectory(directory),
  onStored: (directory) => {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      if (shownDirectory() === directory) void showDirectory(directory);
    }, REFRESH_DELAY_MS);
  },
});

void refreshAccess();
initBrowse({ onShown: followDirectory });
