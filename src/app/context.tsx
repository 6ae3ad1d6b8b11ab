import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { Studio, Controller } from './controller';
import type { StudioState, StudioStore } from './store';

export const StudioContext = createContext<Studio | null>(null);

function useStudioContext(): Studio {
  const studio = useContext(StudioContext);
  if (!studio) throw new Error('StudioContext missing: render inside <App studio={...}>');
  return studio;
}

/** Selects from the studio store (re-renders when the selected value changes, compared with Object.is). */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(useStudioContext().store, selector);
}

/** Like useStudio, for selectors that build a new object or array each time (compared shallowly). */
export function useStudioShallow<T>(selector: (s: StudioState) => T): T {
  return useStore(useStudioContext().store, useShallow(selector));
}

export function useStudioStore(): StudioStore {
  return useStudioContext().store;
}

export function useController(): Controller {
  return useStudioContext().controller;
}
