/**
 * The browser bundle `wacs web` serves (package.json "wacs": { "browser" }) loads in a page by URL,
 * with no bundler in between. Running it is tested in Chromium by packages/cli's browser tests.
 */
import { describeBrowserBundle } from '@wacs/backend-testkit/vitest';
import { fileURLToPath } from 'node:url';

describeBrowserBundle(fileURLToPath(new URL('..', import.meta.url)));
