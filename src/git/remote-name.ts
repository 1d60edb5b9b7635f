/** The git remote cmf sets at `cmf init` (`--git-remote-url`) and pulls/pushes at `cmf repo`. */
export const GIT_REMOTE = 'cmf_origin';
