import * as vscode from "vscode";
import { Disposable } from "./util/dispose";

const PREFIX = "slm.serverApiKey:";

/**
 * API keys for team servers, one per origin (scheme, host, port), in the editor's SecretStorage
 * (the OS keychain on desktop): never in settings, never logged. Cached in memory so a keystroke
 * does not wait for the keychain; a change from any window clears the cache.
 */
export class ServerKeys extends Disposable {
  private readonly cache = new Map<string, Promise<string | undefined>>();

  constructor(
    private readonly secrets: vscode.SecretStorage,
    onChange: () => void,
  ) {
    super();
    this._register(
      secrets.onDidChange((event) => {
        if (!event.key.startsWith(PREFIX)) return;
        this.cache.clear();
        onChange();
      }),
    );
  }

  readonly get = (origin: string): Promise<string | undefined> => {
    let key = this.cache.get(origin);
    if (!key) {
      key = Promise.resolve(this.secrets.get(PREFIX + origin)).then((value) => value || undefined);
      this.cache.set(origin, key);
    }
    return key;
  };

  async set(origin: string, key: string | undefined): Promise<void> {
    this.cache.delete(origin);
    if (key) await this.secrets.store(PREFIX + origin, key);
    else await this.secrets.delete(PREFIX + origin);
  }
}
