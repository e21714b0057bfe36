// Package githubstatus reports a job's outcome on GitHub: a commit status
// for a deploy, and for a pull request the one comment that shows what the
// merge would recreate or restart, edited in place on every push.
//
// Callers see shiftleft types only ([Status], [Comment], [PlanReport]) behind
// the narrow [Reporter] interface; go-github stays inside [Client]. Without a
// token, [New] returns a [Logging] reporter that only logs (DESIGN §4), so a
// local run needs no GitHub account. [RenderPlanComment] is a pure function
// from a [PlanReport] to the comment's Markdown.
package githubstatus
