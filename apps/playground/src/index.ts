/**
 * @falcon-h1/playground: The browser playground (private, never published).
 *
 * This package is still an empty shell: its implementation arrives with issue #6. Until then it exports only
 * its name, so that the workspace graph, the build, the tests and the release check already cover it.
 * See README.md for the role it will play.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/playground';
