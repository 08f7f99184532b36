package models

import "gorm.io/gorm"

// townshipRole (step 5) adds staffs.township, the township a RoleTownship
// member serves (docs/ARCHITECTURE.md#roles). Skipped when already done, so
// a run that stopped half way on MySQL runs again.
func townshipRole(tx *gorm.DB) error {
	if tx.Migrator().HasColumn("staffs", "township") {
		return nil
	}
	def := "text NOT NULL DEFAULT \"\""
	if DialectOf(tx) == MySQL {
		def = "varchar(50) NOT NULL DEFAULT ''"
	}
	return tx.Exec("ALTER TABLE `staffs` ADD COLUMN `township` " + def).Error
}

func init() {
	addedAfterBaseline = append(addedAfterBaseline, "column staffs.township ")
}
