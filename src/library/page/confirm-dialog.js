// The delete confirmation: an in-page <dialog> rather than confirm(), so it can name the file
// safely (as text) and look like the rest of the page.

const ui = {
  dialog: document.getElementById('confirm-delete'),
  name: document.getElementById('confirm-name'),
  directory: document.getElementById('confirm-directory'),
};

/** Resolves true when the person presses Delete; false on Cancel or Escape. */
export function confirmDelete(directory, filename) {
  ui.name.textContent = filename;
  ui.directory.textContent = `${directory}/`;
  // The form inside (method="dialog") closes the dialog with the pressed button's value.
  ui.dialog.returnValue = '';
  // showModal() focuses the first button, Cancel: Enter alone never deletes.
  ui.dialog.showModal();
  return new Promise((resolve) => {
    ui.dialog.addEventListener('close', () => resolve(ui.dialog.returnValue === 'delete'), { once: true });
  });
}
