package models

import "gorm.io/gorm"

// publicResultsStep (step 12) adds the public results (办理结果公开,
// docs/ARCHITECTURE.md#public-results): the table opinion_publications,
// one row per published item, and voters.community_id, the community a
// voter declared as theirs. Frozen DDL for each dialect; every statement
// is skipped when already done (IF NOT EXISTS, or a check first: MySQL has
// no ADD COLUMN IF NOT EXISTS), so a run that stopped half way on MySQL
// runs again.
func publicResultsStep(tx *gorm.DB) error {
	my := DialectOf(tx) == MySQL
	mig := tx.Migrator()
	if !mig.HasColumn("voters", "community_id") {
		def := "integer"
		if my {
			def = "bigint(20) unsigned DEFAULT NULL"
		}
		if err := tx.Exec("ALTER TABLE `voters` ADD COLUMN `community_id` " + def).Error; err != nil {
			return err
		}
	}
	if !mig.HasIndex("voters", "idx_voters_community_id") {
		if err := tx.Exec("CREATE INDEX `idx_voters_community_id` ON `voters`(`community_id`)").Error; err != nil {
			return err
		}
	}
	stmts := publicResultsSQLite
	if my {
		stmts = publicResultsMySQL
	}
	for _, s := range stmts {
		if err := tx.Exec(s).Error; err != nil {
			return err
		}
	}
	return nil
}

var publicResultsSQLite = []string{
	"CREATE TABLE IF NOT EXISTS `opinion_publications` (`id` integer PRIMARY KEY AUTOINCREMENT,`opinion_id` integer NOT NULL," +
		"`station_id` integer NOT NULL,`category_id` integer NOT NULL,`summary` text NOT NULL,`result` text NOT NULL," +
		"`photo_ids` text NOT NULL DEFAULT \"\",`filed_on` text NOT NULL,`closed_on` text NOT NULL,`working_days` integer NOT NULL," +
		"`published_by_staff_id` integer NOT NULL,`published_at` datetime NOT NULL,`withdrawn_at` datetime," +
		"`withdrawn_by_staff_id` integer,`created_at` datetime,`updated_at` datetime)",
	"CREATE UNIQUE INDEX IF NOT EXISTS `idx_opinion_publications_opinion_id` ON `opinion_publications`(`opinion_id`)",
	"CREATE INDEX IF NOT EXISTS `idx_opinion_publications_station_id` ON `opinion_publications`(`station_id`)",
	"CREATE INDEX IF NOT EXISTS `idx_opinion_publications_category_id` ON `opinion_publications`(`category_id`)",
	"CREATE INDEX IF NOT EXISTS `idx_opinion_publications_withdrawn_at` ON `opinion_publications`(`withdrawn_at`)",
}

var publicResultsMySQL = []string{
	"CREATE TABLE IF NOT EXISTS `opinion_publications` (\n" +
		"  `id` bigint(20) unsigned NOT NULL AUTO_INCREMENT,\n" +
		"  `opinion_id` bigint(20) unsigned NOT NULL,\n" +
		"  `station_id` bigint(20) unsigned NOT NULL,\n" +
		"  `category_id` bigint(20) unsigned NOT NULL,\n" +
		"  `summary` text NOT NULL,\n" +
		"  `result` text NOT NULL,\n" +
		"  `photo_ids` varchar(100) NOT NULL DEFAULT '',\n" +
		"  `filed_on` varchar(10) NOT NULL,\n" +
		"  `closed_on` varchar(10) NOT NULL,\n" +
		"  `working_days` bigint(20) NOT NULL,\n" +
		"  `published_by_staff_id` bigint(20) unsigned NOT NULL,\n" +
		"  `published_at` datetime(3) NOT NULL,\n" +
		"  `withdrawn_at` datetime(3) DEFAULT NULL,\n" +
		"  `withdrawn_by_staff_id` bigint(20) unsigned DEFAULT NULL,\n" +
		"  `created_at` datetime(3) DEFAULT NULL,\n" +
		"  `updated_at` datetime(3) DEFAULT NULL,\n" +
		"  PRIMARY KEY (`id`),\n" +
		"  UNIQUE KEY `idx_opinion_publications_opinion_id` (`opinion_id`),\n" +
		"  KEY `idx_opinion_publications_station_id` (`station_id`),\n" +
		"  KEY `idx_opinion_publications_category_id` (`category_id`),\n" +
		"  KEY `idx_opinion_publications_withdrawn_at` (`withdrawn_at`)\n" +
		") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci",
}

func init() {
	addedAfterBaseline = append(addedAfterBaseline,
		"column voters.community_id ", "index idx_voters_community_id on voters ", "table opinion_publications ")
}
