package models

import "gorm.io/gorm"

// scanDays (step 14) replaces the row per scan (scan_events) with a count
// per code per day and the day's last scan (scan_days), and adds the keys of
// the batches of counts already added (scan_batches)
// (docs/ARCHITECTURE.md#scan-counts). The stored scans are folded into
// scan_days (their day taken in China time, UTC+8, as ScanDayOf does) and
// scan_events is dropped: nothing reads single scans, and the openids they
// held need no erasing any more. Frozen DDL for each dialect; the fold sets
// rather than adds, so on MySQL, where each statement commits on its own, a
// run that stopped between the fold and the drop runs again to the same
// result.
func scanDays(tx *gorm.DB) error {
	if err := execDDL(tx, scanDaysSQLite, scanDaysMySQL); err != nil {
		return err
	}
	if !tx.Migrator().HasTable("scan_events") {
		return nil
	}
	fold := "INSERT INTO `scan_days` (`code`,`day`,`count`,`last_at`) " +
		"SELECT `code`, date(`at`, '+8 hours'), COUNT(*), MAX(`at`) FROM `scan_events` WHERE true " +
		"GROUP BY `code`, date(`at`, '+8 hours') " +
		"ON CONFLICT (`code`,`day`) DO UPDATE SET `count` = excluded.`count`, `last_at` = excluded.`last_at`"
	if DialectOf(tx) == MySQL {
		fold = "INSERT INTO `scan_days` (`code`,`day`,`count`,`last_at`) " +
			"SELECT `code`, DATE_FORMAT(`at` + INTERVAL 8 HOUR, '%Y-%m-%d'), COUNT(*), MAX(`at`) FROM `scan_events` " +
			"GROUP BY `code`, DATE_FORMAT(`at` + INTERVAL 8 HOUR, '%Y-%m-%d') " +
			"ON DUPLICATE KEY UPDATE `count` = VALUES(`count`), `last_at` = VALUES(`last_at`)"
	}
	if err := tx.Exec(fold).Error; err != nil {
		return err
	}
	return tx.Exec("DROP TABLE IF EXISTS `scan_events`").Error
}

var scanDaysSQLite = []string{
	"CREATE TABLE IF NOT EXISTS `scan_days` (`code` text,`day` text,`count` integer NOT NULL DEFAULT 0,`last_at` datetime NOT NULL,PRIMARY KEY (`code`,`day`))",
	"CREATE INDEX IF NOT EXISTS `idx_scan_days_last_at` ON `scan_days`(`last_at`)",
	"CREATE TABLE IF NOT EXISTS `scan_batches` (`batch_key` text,`at` datetime NOT NULL,PRIMARY KEY (`batch_key`))",
	"CREATE INDEX IF NOT EXISTS `idx_scan_batches_at` ON `scan_batches`(`at`)",
}

var scanDaysMySQL = []string{
	"CREATE TABLE IF NOT EXISTS `scan_days` (\n" +
		"  `code` varchar(8) NOT NULL,\n" +
		"  `day` varchar(10) NOT NULL,\n" +
		"  `count` bigint(20) NOT NULL DEFAULT 0,\n" +
		"  `last_at` datetime(3) NOT NULL,\n" +
		"  PRIMARY KEY (`code`,`day`),\n" +
		"  KEY `idx_scan_days_last_at` (`last_at`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
	"CREATE TABLE IF NOT EXISTS `scan_batches` (\n" +
		"  `batch_key` varchar(191) NOT NULL,\n" +
		"  `at` datetime(3) NOT NULL,\n" +
		"  PRIMARY KEY (`batch_key`),\n" +
		"  KEY `idx_scan_batches_at` (`at`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
}
