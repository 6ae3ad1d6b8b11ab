/**
 * The settings survive a reload in localStorage (nothing else does: not the run, not the model
 * chosen by the page address, not local files). What comes back is untrusted — an older version, a
 * hand edit — and goes through the settings' validation like any other input.
 */
import { createJSONStorage, type PersistOptions, type StateStorage } from 'zustand/middleware';
import { DEFAULT_SETTINGS, validSettings, type Settings } from './settings';

export const SETTINGS_KEY = 'dit-studio:settings';

/** localStorage when it works, else a throwaway in-memory storage. */
export function defaultStorage(): StateStorage {
  try {
    const ls = globalThis.localStorage;
    const probe = '__dit_studio_probe__';
    ls.setItem(probe, '1');
    ls.removeItem(probe);
    return {
      getItem: (k) => ls.getItem(k),
      setItem: (k, v) => {
        try {
          ls.setItem(k, v);
        } catch {
          // quota or privacy mode: keep going without persistence
        }
      },
      removeItem: (k) => ls.removeItem(k),
    };
  } catch {
    const m = new Map<string, string>();
    return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v), removeItem: (k) => void m.delete(k) };
  }
}

/** Settings from untrusted data: every field checked, defaults for the rest. */
export function sanitizeSettings(raw: unknown): Settings {
  const r = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const model = r.model === 'hub' ? 'hub' : 'builtin'; // local files cannot survive a reload
  return { ...DEFAULT_SETTINGS, ...validSettings(r), model };
}

interface Persisted {
  settings: Settings;
}

/** The zustand `persist` options: the settings only, sanitized when they come back. */
export function settingsPersistence<S extends Persisted>(storage: StateStorage): PersistOptions<S, Persisted> {
  return {
    name: SETTINGS_KEY,
    version: 1,
    storage: createJSONStorage(() => storage),
    partialize: (s) => ({ settings: s.settings }),
    merge: (persisted, current) => ({
      ...current,
      settings: sanitizeSettings((persisted as { settings?: unknown } | undefined)?.settings),
    }),
  };
}
