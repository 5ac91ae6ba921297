package store

import (
	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// exclusionRow is one customer a launch left out, with the reason
// (campaign_exclusions): the launch's decision, kept so explain reports it
// rather than what today's data would decide.
type exclusionRow struct {
	CampaignID int64 `gorm:"primaryKey;autoIncrement:false"`
	CustomerID int64 `gorm:"primaryKey;autoIncrement:false"`
	Reason     string
}

func (exclusionRow) TableName() string { return "campaign_exclusions" }

// exclusionCopyColumns are the columns a launch writes, in copy order.
var exclusionCopyColumns = []string{"campaign_id", "customer_id", "reason"}

// planRows is one batch of a launch's writes: the deliveries planned and
// the customers excluded since the previous batch.
type planRows struct {
	deliveries []deliveryRow
	exclusions []exclusionRow
}

// full says whether the batch should be written: either part reached
// planBatch, so memory holds at most two batches' worth of each.
func (b *planRows) full() bool {
	return len(b.deliveries) >= planBatch || len(b.exclusions) >= planBatch
}

func (b *planRows) empty() bool { return len(b.deliveries) == 0 && len(b.exclusions) == 0 }

// launchExclusion returns the reason the launch of campaignID recorded for
// customerID, and whether it excluded the customer at all.
func launchExclusion(db *gorm.DB, campaignID, customerID int64) (models.Reason, bool, error) {
	var rows []exclusionRow
	err := db.Where("campaign_id = ? AND customer_id = ?", campaignID, customerID).Limit(1).Find(&rows).Error
	if err != nil {
		return "", false, mapError(err, "Campaign exclusions")
	}
	if len(rows) == 0 {
		return "", false, nil
	}
	return models.Reason(rows[0].Reason), true, nil
}
