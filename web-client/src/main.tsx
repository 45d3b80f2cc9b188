// Entry point: quick exit first (its keys, and other tabs' exits, work even while the app
// loads), then the app.

import { render } from 'preact';

import { App } from './App';
import { installQuickExit } from './quickexit';
import { installInPageLinks } from './router';
import './styles.css';

installQuickExit();
installInPageLinks();

const root = document.getElementById('app');
if (root) {
  render(<App />, root);
}
