import { createElement as h, type SVGProps } from 'react';

const svg = (paths: string[]) =>
  function Icon(props: SVGProps<SVGSVGElement>) {
    return h(
      'svg',
      {
        viewBox: '0 0 24 24',
        fill: 'none',
        stroke: 'currentColor',
        strokeWidth: 1.5,
        strokeLinecap: 'round',
        strokeLinejoin: 'round',
        ...props,
      },
      ...paths.map((d) => h('path', { key: d, d })),
    );
  };

/** A key: the Authentication panel. */
export const KeyIcon = svg([
  'M21 2l-2 2m-7.61 7.61a5.5 5.5 0 1 1-7.778 7.778 5.5 5.5 0 0 1 7.777-7.777zm0 0L15.5 7.5m0 0l3 3L22 7l-3-3m-3.5 3.5L19 4',
]);

/** An open book: the Examples panel. */
export const BookIcon = svg(['M2 3h6a4 4 0 0 1 4 4v14a3 3 0 0 0-3-3H2z', 'M22 3h-6a4 4 0 0 0-4 4v14a3 3 0 0 1 3-3h7z']);

/** A magnifier: the examples' search box. */
export const SearchIcon = svg(['M11 19a8 8 0 1 0 0-16 8 8 0 0 0 0 16z', 'M21 21l-4.35-4.35']);
