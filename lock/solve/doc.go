// Package solve picks, for one platform, the set of conda package records
// that satisfies a request: one record per package name, every record's
// depends satisfied, every installed record's constrains respected, and
// virtual packages (__glibc, __cuda, …) given by the caller.
//
// # Why CDCL with lazy clauses
//
// The problem is boolean satisfiability with a preference order, the same
// shape libsolv (conda, mamba) and resolvo (pixi, rattler) solve. We use
// conflict-driven clause learning, as resolvo does, rather than
// backtracking over versions (pubgrub) because conda records carry
// build-level alternatives, constrains and virtual packages that map
// directly onto clauses, and because learning keeps deep conflicts cheap.
// Clauses are made lazily: a record's dependencies become clauses only
// once the record is installed in the current assignment, so a solve on
// conda-forge touches the few thousand records it needs, not the 300,000
// it could. "At most one record per name" and "constrains" are propagated
// natively; writing them as clauses would cost O(n²) per package.
//
// # Preferences
//
// Each decision takes the first of the request's specs not yet met, in
// the order given (as conda and rattler honour it), and once they all are,
// the requirement with the fewest candidates left (ties to the one met
// first), and picks its most preferred candidate that is still possible:
// fewer track_features first, then higher version, higher build number,
// newer timestamp, and finally channel priority, subdir and file name so
// the answer is the same on every machine. conda's legacy "features"
// count among builds of one version: while a package that tracks feature
// X is installed (or about to be, for an open requirement), builds with
// feature X come first, and builds with a feature nobody tracks last. Records locked earlier (the
// Locked field) are preferred to all others, which keeps re-locks stable.
// Every record in the result is the most preferred one its requirement
// could take given the decisions before it, which is what mamba and pixi
// return; conda's global optimisation can differ where two requested
// packages trade versions against each other.
//
// # Unsatisfiable requests
//
// When no solution exists the solver returns an *UnsatError whose
// Explain method prints a tree in the user's terms: which requested specs
// conflict, through which chains of dependencies, and which candidates
// were ruled out (no record matches, a virtual package too old, strict
// channel priority masking a lower-priority channel).
package solve
