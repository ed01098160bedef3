import { invalidCursorError, MAX_PAGE_LIMIT, ValidationError, Violations } from '@aether/service-kit';

const REPOSITORY = /^[A-Za-z0-9_.-]{1,100}\/[A-Za-z0-9_.-]{1,100}$/;
// GitHub's last page of PR files is at most 3000 / per_page; anything bigger is forged.
const PAGE = /^[1-9]\d{0,4}$/;

/** One page of a GitHub list: GitHub's page number and per_page (our PageRequest). */
export interface GithubPage {
  page: number;
  perPage: number;
}

export function checkConnectionId(v: Violations, id: string): void {
  v.uuid('connectionId', id);
}

/** "owner/name" with GitHub's characters only, never `.`/`..` segments (no path games in the URL). */
export function checkRepository(v: Violations, repository: string): void {
  if (!REPOSITORY.test(repository ?? '') || repository.split('/').some((s) => s === '.' || s === '..')) {
    v.add('repository', 'must be "owner/name"');
  }
}

export function checkNumber(v: Violations, number: number): void {
  if (!Number.isInteger(number) || number < 1) v.add('number', 'must be a pull request number ≥ 1');
}

/** PageRequest → GitHub page: limit 1..100, 0 = 100 (GitHub's largest page: fewest round trips); the cursor is our next_cursor. */
export function githubPage(page: { limit?: number; cursor?: string } | undefined): GithubPage {
  const limit = page?.limit ?? 0;
  if (!Number.isInteger(limit) || limit < 0 || limit > MAX_PAGE_LIMIT) {
    throw new ValidationError('Invalid page', [{ field: 'limit', message: `must be between 1 and ${MAX_PAGE_LIMIT}` }]);
  }
  const cursor = page?.cursor ?? '';
  if (cursor !== '' && !PAGE.test(cursor)) throw invalidCursorError();
  return { page: cursor === '' ? 1 : Number(cursor), perPage: limit === 0 ? MAX_PAGE_LIMIT : limit };
}

/** A repository file path as GitHub's contents API takes it: each segment URL-encoded, no `.`/`..`, no empty segment. */
export function encodeRepositoryPath(v: Violations, path: string): string {
  const segments = (path ?? '').split('/');
  if (!path || path.length > 4096 || segments.some((s) => s === '' || s === '.' || s === '..') || /[\0\r\n]/.test(path)) {
    v.add('path', 'must be a file path inside the repository');
    return '';
  }
  return segments.map(encodeURIComponent).join('/');
}
