/**
 * Playwright helpers for driving the VS Code web workbench served by code-server, with
 * Debian's chromium and playwright-core (no browser download). See
 * the team notes (shared/docs/e2e-recipe.md) §4–§5. The selectors are VS Code's internal DOM
 * classes, checked on 1.100.3.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { chromium, type BrowserContext, type ConsoleMessage, type Dialog, type Frame, type Locator, type Page } from 'playwright-core';
import { ROOT, type CodeServer } from './codeServer';

// The workbench runs in the browser; these are only referenced inside evaluate() callbacks.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any
declare const window: any; // eslint-disable-line @typescript-eslint/no-explicit-any

export const CHROMIUM = process.env.LT_E2E_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = path.join(ROOT, 'test-results', 'e2e');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export interface LaunchOptions {
  /** Folder to open (server-side absolute path). */
  folder?: string;
  /** Workbench `payload` entries, e.g. extensionDevelopmentPath / extensionTestsPath. */
  payload?: [string, string][];
  viewport?: { width: number; height: number };
  /** Called with each browser console message (default: errors are kept for diagnostics). */
  onConsole?: (msg: ConsoleMessage) => void;
  /** Functions exposed on window before the workbench loads (e.g. codeAutomationExit). */
  expose?: Record<string, (...args: any[]) => unknown>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Do not wait for the explorer (e.g. the in-host test run). */
  noExplorer?: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class Workbench {
  /** Browser console errors, for failure reports. */
  readonly consoleErrors: string[] = [];

  private constructor(
    readonly cs: CodeServer,
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profileDir: string,
  ) {}

  /** Launches chromium and opens the workbench (on a folder if given). */
  static async launch(cs: CodeServer, opts: LaunchOptions = {}): Promise<Workbench> {
    const profileDir = mkdtempSync(path.join(tmpdir(), 'lt-e2e-pw-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: opts.viewport ?? { width: 1400, height: 900 },
      args: CHROMIUM_ARGS,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const wb = new Workbench(cs, context, page, profileDir);
    page.on('console', (m) => {
      if (m.type() === 'error') wb.consoleErrors.push(m.text());
      opts.onConsole?.(m);
    });
    for (const [name, fn] of Object.entries(opts.expose ?? {})) await page.exposeFunction(name, fn);
    if (opts.folder || opts.payload) await wb.open(opts.folder, opts);
    return wb;
  }

  /** Opens the workbench on a folder (and optional payload), then waits for it (and the explorer). */
  async open(folder?: string, opts: Pick<LaunchOptions, 'payload' | 'noExplorer'> = {}): Promise<void> {
    const q = new URLSearchParams();
    if (folder) q.set('folder', folder);
    if (opts.payload) q.set('payload', JSON.stringify(opts.payload));
    const query = q.toString();
    await this.page.goto(`${this.cs.url}${query ? `?${query}` : ''}`);
    if (opts.payload && opts.noExplorer) return;
    await this.waitForWorkbench();
    if (folder && !opts.noExplorer) await this.waitForExplorer();
  }

  async waitForWorkbench(timeout = 60_000): Promise<void> {
    await this.page.locator('.monaco-workbench').waitFor({ timeout });
  }

  async waitForExplorer(timeout = 60_000): Promise<void> {
    await this.explorerRows().first().waitFor({ timeout });
  }

  /** When workspace trust is on: answers the "Do you trust the authors" dialog. */
  async trustWorkspace(trust = true, timeout = 15_000): Promise<void> {
    const name = trust ? /Yes, I trust the authors/ : /No, I don.t trust the authors/;
    const button = this.page.getByRole('button', { name });
    await button.waitFor({ timeout });
    await button.click();
  }

  // --------------------------------------------------------------------------------------------
  // command palette and quick input

  quickInput(): Locator {
    return this.page.locator('.quick-input-widget');
  }

  private quickInputBox(): Locator {
    return this.page.locator('.quick-input-widget .quick-input-box input');
  }

  /** Runs a command by its palette title (e.g. "Latent Translator: Fit Latent Translation"), retrying while contributions load. */
  async runCommand(title: string, timeout = 60_000): Promise<void> {
    const end = Date.now() + timeout;
    for (;;) {
      await this.escapeQuickInput();
      await this.page.keyboard.press('F1');
      const input = this.quickInputBox();
      await input.waitFor({ state: 'visible', timeout: 10_000 });
      await input.fill(`>${title}`);
      const row = this.page.locator('.quick-input-list .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^\\s*${escapeRe(title)}\\s*$`) }) }).first();
      try {
        await row.waitFor({ state: 'visible', timeout: 2000 });
        await this.page.keyboard.press('Enter');
        return;
      } catch (e) {
        await this.page.keyboard.press('Escape');
        if (Date.now() > end) throw new Error(`command "${title}" not found in the palette within ${timeout} ms: ${(e as Error).message}`);
        await sleep(1000);
      }
    }
  }

  /** Closes any open quick input. */
  async escapeQuickInput(): Promise<void> {
    for (let i = 0; i < 3 && (await this.quickInput().isVisible()); i++) {
      await this.page.keyboard.press('Escape');
      await sleep(100);
    }
  }

  /** The visible quick input's title (`.quick-input-title`), or '' when there is none. */
  async quickInputTitle(): Promise<string> {
    const t = this.page.locator('.quick-input-widget .quick-input-title');
    return (await t.isVisible()) ? ((await t.textContent()) ?? '').trim() : '';
  }

  /**
   * Waits for the quick input to be visible with a title containing `title` (string or RegExp)
   * and, if given, a placeholder (QuickPick) or prompt/message (InputBox) containing `hint`.
   */
  async waitForQuickInput({ title, hint, timeout = 30_000 }: { title?: string | RegExp; hint?: string | RegExp; timeout?: number } = {}): Promise<void> {
    const end = Date.now() + timeout;
    const matches = (text: string, want?: string | RegExp) => want === undefined || (typeof want === 'string' ? text.includes(want) : want.test(text));
    let seen = '';
    for (;;) {
      if (await this.quickInputBox().isVisible()) {
        const t = await this.quickInputTitle();
        const placeholder = (await this.quickInputBox().getAttribute('placeholder')) ?? '';
        const msg = this.page.locator('.quick-input-widget .quick-input-message');
        const message = (await msg.isVisible()) ? ((await msg.textContent()) ?? '') : '';
        seen = `title "${t}", placeholder "${placeholder}", message "${message}"`;
        if (matches(t, title) && (matches(placeholder, hint) || matches(message, hint))) return;
      } else seen = 'no quick input';
      if (Date.now() > end) throw new Error(`quick input with title ${String(title)} and hint ${String(hint)} did not appear within ${timeout} ms (last seen: ${seen})`);
      await sleep(100);
    }
  }

  /** Labels of the visible quick-pick rows. */
  async quickItems(): Promise<string[]> {
    const rows = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row .label-name');
    return (await rows.allTextContents()).map((s) => s.replace(/\s+/g, ' ').trim());
  }

  /**
   * Picks the quick-pick item whose label is exactly `label`: types it into the filter, makes
   * sure the focused row is that item (arrowing down if the filter ranks another first),
   * presses Enter, and waits for that quick pick to go away (so the next step cannot receive
   * keys meant for this one). `title`/`hint` first wait for the right step.
   */
  async pickQuickItem(label: string, opts: { title?: string | RegExp; hint?: string | RegExp; timeout?: number } = {}): Promise<void> {
    const timeout = opts.timeout ?? 30_000;
    await this.waitForQuickInput({ title: opts.title, hint: opts.hint, timeout });
    const input = this.quickInputBox();
    const end = Date.now() + timeout;
    const want = label.replace(/\s+/g, ' ').trim();
    for (;;) {
      await input.fill(label);
      const ok = await this.focusQuickRow(want, 3000);
      if (ok) break;
      if (Date.now() > end) throw new Error(`no quick-pick item "${label}" (items: ${JSON.stringify(await this.quickItems())}; title "${await this.quickInputTitle()}")`);
      await sleep(300);
    }
    await this.page.keyboard.press('Enter');
    await this.waitQuickInputMovedOn(label);
  }

  private async focusedRowLabel(): Promise<string | null> {
    const f = this.page.locator('.quick-input-widget .quick-input-list .monaco-list-row.focused .label-name').first();
    if (!(await f.isVisible().catch(() => false))) return null;
    return ((await f.textContent()) ?? '').replace(/\s+/g, ' ').trim();
  }

  private async focusQuickRow(want: string, timeout: number): Promise<boolean> {
    const end = Date.now() + timeout;
    while (Date.now() < end) {
      const items = await this.quickItems();
      const idx = items.indexOf(want);
      if (idx >= 0) {
        for (let i = 0; i <= items.length; i++) {
          if ((await this.focusedRowLabel()) === want) return true;
          await this.page.keyboard.press('ArrowDown');
          await sleep(50);
        }
      }
      await sleep(100);
    }
    return false;
  }

  /** After Enter: waits until the quick input is hidden or no longer holds `value`. */
  private async waitQuickInputMovedOn(value: string, timeout = 15_000): Promise<void> {
    const end = Date.now() + timeout;
    const input = this.quickInputBox();
    while (Date.now() < end) {
      if (!(await input.isVisible())) return;
      if ((await input.inputValue().catch(() => '')) !== value) return;
      await sleep(50);
    }
    throw new Error(`the quick input still shows "${value}" ${timeout} ms after Enter (title "${await this.quickInputTitle()}")`);
  }

  /** Types a value into an InputBox step (replacing its default) and accepts it. */
  async typeInput(value: string, opts: { title?: string | RegExp; hint?: string | RegExp; timeout?: number } = {}): Promise<void> {
    await this.waitForQuickInput({ title: opts.title, hint: opts.hint, timeout: opts.timeout });
    const input = this.quickInputBox();
    await input.fill(value);
    await sleep(100);
    await this.page.keyboard.press('Enter');
    // an InputBox that rejected the value keeps it and shows a validation message
    const end = Date.now() + 10_000;
    while (Date.now() < end) {
      if (!(await input.isVisible())) return;
      if ((await input.inputValue().catch(() => '')) !== value) return;
      await sleep(50);
    }
    const message = await this.page.locator('.quick-input-widget .quick-input-message').textContent().catch(() => '');
    throw new Error(`the input box did not accept "${value}" (message: ${message})`);
  }

  // --------------------------------------------------------------------------------------------
  // explorer and context menus

  explorerRows(): Locator {
    return this.page.locator('.explorer-folders-view .monaco-list-row');
  }

  /** The explorer row of a file or folder, by exact name. */
  explorerRow(name: string): Locator {
    return this.page.locator('.explorer-folders-view .monaco-list-row', { has: this.page.locator('.label-name', { hasText: new RegExp(`^${escapeRe(name)}$`) }) }).first();
  }

  async waitForExplorerItem(name: string, timeout = 30_000): Promise<void> {
    await this.explorerRow(name).waitFor({ state: 'visible', timeout });
  }

  async rightClickExplorer(name: string): Promise<void> {
    await this.closeContextMenu();
    const row = this.explorerRow(name);
    await row.waitFor({ state: 'visible', timeout: 30_000 });
    await row.click(); // select it alone first, so the menu is for this item only
    await row.click({ button: 'right' });
    await this.contextMenu().waitFor({ state: 'visible', timeout: 10_000 });
  }

  /** Selects several explorer items (click the first, ctrl+click the others), then right-clicks the last. */
  async multiSelectExplorer(names: string[], { rightClick = true } = {}): Promise<void> {
    await this.closeContextMenu();
    for (const [i, name] of names.entries()) {
      const row = this.explorerRow(name);
      await row.waitFor({ state: 'visible', timeout: 30_000 });
      await row.click(i === 0 ? {} : { modifiers: ['Control'] });
    }
    const selected = await this.page.locator('.explorer-folders-view .monaco-list-row.selected').count();
    if (selected !== names.length) throw new Error(`expected ${names.length} selected explorer rows, got ${selected}`);
    if (rightClick) {
      await this.explorerRow(names[names.length - 1]).click({ button: 'right' });
      await this.contextMenu().waitFor({ state: 'visible', timeout: 10_000 });
    }
  }

  contextMenu(): Locator {
    return this.page.locator('.context-view .monaco-menu').first();
  }

  /** Labels of the open context menu's entries. */
  async contextMenuItems(): Promise<string[]> {
    await this.contextMenu().waitFor({ state: 'visible', timeout: 10_000 });
    await sleep(200); // the menu is filled synchronously, but let it lay out
    const labels = await this.page.locator('.context-view .monaco-menu .action-item .action-label').allTextContents();
    return labels.map((s) => s.trim()).filter(Boolean);
  }

  async clickContextMenu(label: string): Promise<void> {
    const item = this.page.locator('.context-view .monaco-menu .action-item', { has: this.page.locator('.action-label', { hasText: new RegExp(`^\\s*${escapeRe(label)}\\s*$`) }) }).first();
    try {
      await item.waitFor({ state: 'visible', timeout: 10_000 });
    } catch (e) {
      throw new Error(`no context-menu entry "${label}" (entries: ${JSON.stringify(await this.contextMenuItems().catch(() => []))}): ${(e as Error).message}`);
    }
    // A click landing right after the menu opened is sometimes swallowed (the item stays
    // highlighted and the menu open): fall back to Enter on the hovered (focused) item.
    await item.hover();
    await sleep(150);
    await item.click();
    const menu = this.page.locator('.context-view .monaco-menu').first();
    if (await menu.waitFor({ state: 'hidden', timeout: 1500 }).then(() => true, () => false)) return;
    await item.hover();
    await this.page.keyboard.press('Enter');
    await menu.waitFor({ state: 'hidden', timeout: 5000 });
  }

  async closeContextMenu(): Promise<void> {
    if (await this.page.locator('.context-view .monaco-menu').first().isVisible().catch(() => false)) {
      await this.page.keyboard.press('Escape');
      await this.page.locator('.context-view .monaco-menu').first().waitFor({ state: 'hidden', timeout: 5000 }).catch(() => undefined);
    }
  }

  // --------------------------------------------------------------------------------------------
  // webviews and editors

  /**
   * The first frame (of any webview's inner iframe) for which `predicate` returns true, scanning
   * page.frames() until `timeout`. Only visible webviews have iframes in the DOM.
   */
  async findWebviewFrame<A>(predicate: (arg: A) => boolean | Promise<boolean>, arg: A, timeout = 60_000): Promise<Frame> {
    const end = Date.now() + timeout;
    for (;;) {
      const f = await this.scanFrames(predicate, arg);
      if (f) return f;
      if (Date.now() > end) throw new Error(`no webview frame matched within ${timeout} ms (${this.page.frames().length} frames)`);
      await sleep(250);
    }
  }

  /** One scan of page.frames() (undefined when none matches). */
  async scanFrames<A>(predicate: (arg: A) => boolean | Promise<boolean>, arg: A): Promise<Frame | undefined> {
    for (const f of this.page.frames()) {
      if (f === this.page.mainFrame()) continue;
      const ok = await f.evaluate(predicate as (a: unknown) => boolean | Promise<boolean>, arg as unknown).catch(() => false);
      if (ok) return f;
    }
    return undefined;
  }

  /** Text of the active editor (Monaco renders only the visible lines). */
  async activeEditorText(): Promise<string> {
    const lines = this.page.locator('.editor-group-container.active .monaco-editor .view-lines .view-line');
    return (await lines.allTextContents()).join('\n').replace(/\u00a0/g, ' ');
  }

  /** Labels of the open editor tabs. */
  async tabLabels(): Promise<string[]> {
    return (await this.page.locator('.tabs-container .tab .label-name').allTextContents()).map((s) => s.trim());
  }

  // --------------------------------------------------------------------------------------------
  // window reload and the save dialog

  /**
   * Runs "Developer: Reload Window" and waits until a new document has replaced the old one
   * (a marker set on the old window is gone), then for the workbench and, if a folder is open,
   * the explorer. A `beforeunload` prompt, if any, is accepted. Returns the milliseconds taken.
   */
  async reloadWindow({ timeout = 90_000, explorer = true }: { timeout?: number; explorer?: boolean } = {}): Promise<number> {
    const t0 = Date.now();
    const end = t0 + timeout;
    const left = () => Math.max(1000, end - Date.now());
    await this.page.evaluate(() => {
      window.__ltBeforeReload = true;
    });
    const onDialog = (d: Dialog) => void (d.type() === 'beforeunload' ? d.accept() : d.dismiss()).catch(() => undefined);
    this.page.on('dialog', onDialog);
    try {
      await this.runCommand('Developer: Reload Window', 30_000);
      for (;;) {
        // throws while the page navigates: keep polling
        const reloaded = await this.page.evaluate(() => window.__ltBeforeReload !== true && document.readyState !== 'loading').catch(() => false);
        if (reloaded) break;
        if (Date.now() > end) throw new Error(`the page did not reload within ${timeout} ms of "Developer: Reload Window"`);
        await sleep(100);
      }
      await this.waitForWorkbench(left());
      if (explorer) await this.waitForExplorer(left());
    } finally {
      this.page.off('dialog', onDialog);
    }
    return Date.now() - t0;
  }

  /**
   * Answers VS Code's "simple file dialog", which code-server shows for showSaveDialog: a quick
   * pick whose input box holds a path (the default folder, then the suggested file name once
   * the dialog has listed the folder). Waits for the suggested path (`suggested`, by default any
   * path ending in a file name with an extension), replaces it with `target` (an absolute
   * server-side path) and accepts. An "already exists, overwrite?" or "folder does not exist,
   * create it?" prompt (the same quick input, with that question as its title) is answered Yes
   * (or, with `overwrite: false`, makes this throw). Resolves when the dialog has closed, with
   * the suggested path and the prompts answered. `shot` names a screenshot of the dialog as
   * it first appears.
   */
  async answerSaveDialog(
    target: string,
    { suggested = /[^/]\.[A-Za-z0-9]+$/, overwrite = true, timeout = 30_000, shot }: { suggested?: RegExp; overwrite?: boolean; timeout?: number; shot?: string } = {},
  ): Promise<{ suggested: string; prompts: string[] }> {
    const end = Date.now() + timeout;
    const input = this.quickInputBox();
    const value = () => input.inputValue({ timeout: 1000 }).catch(() => '');
    // 1. the dialog, once it has filled in the suggested file name
    let seen = '';
    for (;;) {
      if (await input.isVisible()) {
        seen = await value();
        if (seen.startsWith('/') && suggested.test(seen)) break;
      }
      if (Date.now() > end) {
        throw new Error(`no save dialog with a suggested path matching ${suggested} within ${timeout} ms (quick input ${(await input.isVisible()) ? `shows "${seen}", title "${await this.quickInputTitle()}"` : 'not visible'})`);
      }
      await sleep(100);
    }
    const suggestedPath = seen;
    await sleep(200); // let the dialog finish its own update of the box
    if (shot) await this.screenshot(shot);
    // 2. the target path, accepted with Enter
    for (;;) {
      await input.fill(target);
      await sleep(150);
      if ((await value()) === target) break;
      if (Date.now() > end) throw new Error(`the save dialog does not keep the path "${target}" (it shows "${await value()}")`);
    }
    await input.press('Enter');
    // 3. closed, or a yes/no prompt, or a validation message
    const prompts: string[] = [];
    const message = this.page.locator('.quick-input-widget .quick-input-message');
    for (;;) {
      if (!(await input.isVisible())) return { suggested: suggestedPath, prompts };
      const title = await this.quickInputTitle();
      if (/already exists|does not exist/i.test(title) && !prompts.includes(title)) {
        if (!overwrite) throw new Error(`the save dialog asks: ${title}`);
        prompts.push(title);
        await input.press('Enter'); // accepting the prompt = Yes
        await sleep(200);
        continue;
      }
      const msg = (await message.isVisible()) ? ((await message.textContent()) ?? '').trim() : '';
      if (msg && /valid|exists|cannot|Please/i.test(msg)) throw new Error(`the save dialog refused "${target}": ${msg}`);
      if (Date.now() > end) throw new Error(`the save dialog is still open ${timeout} ms later (title "${title}", value "${await value()}", message "${msg}")`);
      await sleep(100);
    }
  }

  // --------------------------------------------------------------------------------------------
  // notifications

  notification(text?: string | RegExp): Locator {
    return text === undefined ? this.page.locator('.notification-toast') : this.page.locator('.notification-toast', { hasText: text });
  }

  /** Texts of the visible notification toasts. */
  async notificationTexts(): Promise<string[]> {
    return (await this.page.locator('.notification-toast .notification-list-item-message').allTextContents()).map((s) => s.trim());
  }

  /** Clicks a button (e.g. "Cancel") of the notification toast containing `text`. */
  async clickNotificationButton(text: string | RegExp, button: string, timeout = 30_000): Promise<void> {
    const toast = this.notification(text).first();
    await toast.waitFor({ state: 'visible', timeout });
    const b = toast.locator('.monaco-button', { hasText: new RegExp(`^\\s*${escapeRe(button)}\\s*$`) }).first();
    await b.click();
  }

  /** Closes every notification toast (the "Clear All Notifications" command). */
  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications', 10_000).catch(() => undefined);
  }

  // --------------------------------------------------------------------------------------------

  /** Saves a screenshot of the page to test-results/e2e/<name>.png and returns its path. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name.replace(/[^\w.-]+/g, '_')}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  async close(): Promise<void> {
    await this.context.close().catch(() => undefined);
    rmSync(this.profileDir, { recursive: true, force: true });
  }
}
