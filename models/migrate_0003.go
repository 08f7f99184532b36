package models

import "gorm.io/gorm"

// offlineOpinions (step 3) lets staff enter opinions received offline
// (FileOfflineOpinion) and record phone call-backs (RecordCallback):
// opinions gain who entered them, when and at which reception day they
// were received, and the person's name and sealed phone; the table
// opinion_callbacks holds the call-backs. Each statement is skipped when it
// is already done: on MySQL each commits on its own, so a run may have
// stopped half way (and MySQL has no ADD COLUMN IF NOT EXISTS).
func offlineOpinions(tx *gorm.DB) error {
	mysql := DialectOf(tx) == MySQL
	mig := tx.Migrator()
	for _, c := range []struct{ name, sqlite, mysql string }{
		{"entered_by_staff_id", "integer", "bigint(20) unsigned DEFAULT NULL"},
		{"received_on", "text NOT NULL DEFAULT \"\"", "varchar(10) NOT NULL DEFAULT ''"},
		{"reception_day_id", "integer", "bigint(20) unsigned DEFAULT NULL"},
		{"contact_name", "text NOT NULL DEFAULT \"\"", "varchar(40) NOT NULL DEFAULT ''"},
		{"contact_phone_enc", "blob", "blob DEFAULT NULL"},
		{"contact_phone_masked", "text NOT NULL DEFAULT \"\"", "varchar(20) NOT NULL DEFAULT ''"},
	} {
		if mig.HasColumn("opinions", c.name) {
			continue
		}
		typ := c.sqlite
		if mysql {
			typ = c.mysql
		}
		if err := tx.Exec("ALTER TABLE `opinions` ADD COLUMN `" + c.name + "` " + typ).Error; err != nil {
			return err
		}
	}
	if !mig.HasIndex("opinions", "idx_opinions_reception_day_id") {
		if err := tx.Exec("CREATE INDEX `idx_opinions_reception_day_id` ON `opinions`(`reception_day_id`)").Error; err != nil {
			return err
		}
	}
	if mysql {
		return tx.Exec("CREATE TABLE IF NOT EXISTS `opinion_callbacks` (\n" +
			"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
			"  `opinion_id` bigint(20) unsigned NOT NULL,\n" +
			"  `round` bigint(20) NOT NULL,\n" +
			"  `stage` varchar(8) NOT NULL,\n" +
			"  `station_id` bigint(20) unsigned NOT NULL,\n" +
			"  `staff_id` bigint(20) unsigned NOT NULL,\n" +
			"  `score` varchar(16) NOT NULL,\n" +
			"  `note` varchar(500) NOT NULL,\n" +
			"  `created_at` datetime(3) DEFAULT NULL,\n" +
			"  PRIMARY KEY (`id`),\n" +
			"  UNIQUE KEY `idx_opinion_callback_once` (`opinion_id`,`round`,`stage`),\n" +
			"  KEY `idx_opinion_callbacks_station_id` (`station_id`)\n" +
			") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci").Error
	}
	for _, ddl := range []string{
		"CREATE TABLE IF NOT EXISTS `opinion_callbacks` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL," +
			"`round` integer NOT NULL,`stage` text NOT NULL,`station_id` integer NOT NULL,`staff_id` integer NOT NULL," +
			"`score` text NOT NULL,`note` text NOT NULL,`created_at` datetime)",
		"CREATE UNIQUE INDEX IF NOT EXISTS `idx_opinion_callback_once` ON `opinion_callbacks`(`opinion_id`,`round`,`stage`)",
		"CREATE INDEX IF NOT EXISTS `idx_opinion_callbacks_station_id` ON `opinion_callbacks`(`station_id`)",
	} {
		if err := tx.Exec(ddl).Error; err != nil {
			return err
		}
	}
	return nil
}

// addedAfterBaseline3 are the schemaDrift entries of what step 3 adds.
var addedAfterBaseline3 = []string{
	"column opinions.entered_by_staff_id ",
	"column opinions.received_on ",
	"column opinions.reception_day_id ",
	"column opinions.contact_name ",
	"column opinions.contact_phone_enc ",
	"column opinions.contact_phone_masked ",
	"index idx_opinions_reception_day_id on opinions ",
	"table opinion_callbacks ",
}

func init() { addedAfterBaseline = append(addedAfterBaseline, addedAfterBaseline3...) }
