/**
 * @falcon-h1/hybrid-block: The Falcon-H1 parallel hybrid decoder layer and causal LM.
 *
 * This package is still an empty shell: its implementation arrives with issue #3. Until then it exports only
 * its name, so that the workspace graph, the build, the tests and the release check already cover it.
 * See README.md for the role it will play.
 */

/** The npm name of this package. */
export const PACKAGE_NAME = '@falcon-h1/hybrid-block';
