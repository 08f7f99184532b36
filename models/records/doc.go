// Package records holds the deputies' records (履职档案): the accrual of
// activities from the platform, manual entries and their review, a
// deputy's record and the inactive list, and the yearly evaluation with
// its sheets, bands and Excel (docs/ARCHITECTURE.md#deputies-records).
// Its data model (models.Activity, models.Evaluation, …) and the shared
// base (database, errors, transactions, scopes) are in models, which
// never imports this package.
package records
