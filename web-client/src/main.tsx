// Entry point: quick-exit keys first (so they work even while the app loads), then the app.

import { render } from 'preact';

import { App } from './App';
import { installQuickExitKeys } from './quickexit';
import './styles.css';

installQuickExitKeys();

const root = document.getElementById('app');
if (root) {
  render(<App />, root);
}
