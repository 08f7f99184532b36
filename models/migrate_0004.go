package models

import "gorm.io/gorm"

// receptionDesk (step 4) adds what the reception desk records: a
// deputy's sign-in on the roster (roster_entries.at_desk, signed_in_at,
// signed_in_by, sign_in_via), the deputy's official-account openid for
// signing in by scanning the desk's code (deputies.oa_openid), and the
// invited guests of a day (reception_guests). Every statement is skipped
// when already done, so a run that stopped half way on MySQL (where each
// DDL statement commits on its own) runs again.
func receptionDesk(tx *gorm.DB) error {
	my := DialectOf(tx) == MySQL
	mig := tx.Migrator()
	type column struct{ table, name, sqlite, mysql string }
	for _, c := range []column{
		{"roster_entries", "at_desk", "numeric NOT NULL DEFAULT false", "tinyint(1) NOT NULL DEFAULT 0"},
		{"roster_entries", "signed_in_at", "datetime", "datetime(3) DEFAULT NULL"},
		{"roster_entries", "signed_in_by", "integer", "bigint(20) unsigned DEFAULT NULL"},
		{"roster_entries", "sign_in_via", "text NOT NULL DEFAULT \"\"", "varchar(8) NOT NULL DEFAULT ''"},
		{"deputies", "oa_openid", "text", "varchar(64) DEFAULT NULL"},
	} {
		if mig.HasColumn(c.table, c.name) {
			continue
		}
		def := c.sqlite
		if my {
			def = c.mysql
		}
		if err := tx.Exec("ALTER TABLE `" + c.table + "` ADD COLUMN `" + c.name + "` " + def).Error; err != nil {
			return err
		}
	}
	if !mig.HasIndex("deputies", "idx_deputies_oa_open_id") {
		if err := tx.Exec("CREATE UNIQUE INDEX `idx_deputies_oa_open_id` ON `deputies`(`oa_openid`)").Error; err != nil {
			return err
		}
	}
	guests := "CREATE TABLE IF NOT EXISTS `reception_guests` (`id` integer PRIMARY KEY AUTOINCREMENT,`day_id` integer NOT NULL," +
		"`department` text NOT NULL,`name` text NOT NULL,`title` text NOT NULL,`signed_in_at` datetime,`created_at` datetime NOT NULL)"
	if my {
		guests = "CREATE TABLE IF NOT EXISTS `reception_guests` (\n" +
			"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
			"  `day_id` bigint(20) unsigned NOT NULL,\n" +
			"  `department` varchar(100) NOT NULL,\n" +
			"  `name` varchar(50) NOT NULL,\n" +
			"  `title` varchar(50) NOT NULL,\n" +
			"  `signed_in_at` datetime(3) DEFAULT NULL,\n" +
			"  `created_at` datetime(3) NOT NULL,\n" +
			"  PRIMARY KEY (`id`),\n" +
			"  KEY `idx_reception_guests_day_id` (`day_id`)\n" +
			") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci"
	}
	if err := tx.Exec(guests).Error; err != nil {
		return err
	}
	if !mig.HasIndex("reception_guests", "idx_reception_guests_day_id") {
		return tx.Exec("CREATE INDEX `idx_reception_guests_day_id` ON `reception_guests`(`day_id`)").Error
	}
	return nil
}
