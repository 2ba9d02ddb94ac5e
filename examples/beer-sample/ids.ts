/**
 * Document ids for new beers and breweries, in beer-sample's own style: `21st_amendment_brewery_cafe`
 * for a brewery, `<brewery id>-21a_ipa` for its beer.
 */
import { likesKey } from './likes.js';

/** Lower case, accents dropped, every run of anything but letters and digits one `_`. */
export function slug(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, '_')
    .replace(/^_+|_+$/g, '');
}

export function newBreweryId(name: string): string {
  return slug(name);
}

export function newBeerId(breweryId: string, name: string): string {
  return `${breweryId}-${slug(name)}`;
}

/** Why `id` cannot be a new document's id, or undefined when it can. */
export function idProblem(id: string, name: string): string | undefined {
  if (slug(name) === '') return 'Name must contain a letter or a digit';
  // The like counter's key is the longest key derived from an id, and keys are at most 250 bytes.
  if (Buffer.byteLength(likesKey(id)) > 250) return 'Name is too long to make a document id from';
  return undefined;
}
