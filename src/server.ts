import { onSupportedNode } from './runtime/supported-node.ts';
import { boundYoungGeneration } from './runtime/young-generation.ts';

// Nothing of the service is loaded before the runtime is known to run it (node:sqlite is Node 24's).
if (onSupportedNode()) {
  boundYoungGeneration();
  await import('./main.ts');
}
