package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/candor/candor/models"
)

// topicRow is a row of the topics table.
type topicRow struct {
	Key         string `gorm:"primaryKey"`
	Name        string
	Description string
	DoubleOptIn bool
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (topicRow) TableName() string { return "topics" }

func (r *topicRow) model() *models.Topic {
	return &models.Topic{
		Key:         r.Key,
		Name:        r.Name,
		Description: r.Description,
		DoubleOptIn: r.DoubleOptIn,
		CreatedAt:   r.CreatedAt.UTC(),
		UpdatedAt:   r.UpdatedAt.UTC(),
	}
}

// Topic implements models.TopicService.
func (s *Store) Topic(ctx context.Context, key string) (*models.Topic, error) {
	if !models.ValidTopicKey(key) {
		return nil, errTopicNotFound(key)
	}
	var row topicRow
	if err := s.db.WithContext(ctx).Where("key = ?", key).Take(&row).Error; err != nil {
		return nil, mapError(err, "Topic")
	}
	return row.model(), nil
}

// Topics implements models.TopicService.
func (s *Store) Topics(ctx context.Context, page models.Page) ([]*models.Topic, string, error) {
	ks, err := keyPage("key", page)
	if err != nil {
		return nil, "", err
	}
	return pageBy(s.db.WithContext(ctx), ks, "Topics", func(r topicRow) string { return r.Key }, infallible((*topicRow).model))
}

// allTopicKeys returns every topic key in key order.
func allTopicKeys(tx *gorm.DB) ([]string, error) {
	var keys []string
	err := tx.Model(&topicRow{}).Order("key").Pluck("key", &keys).Error
	return keys, err
}

// CreateTopic implements models.TopicService.
func (s *Store) CreateTopic(ctx context.Context, in *models.TopicInput) (*models.Topic, error) {
	if in == nil {
		return nil, models.Errorf(models.EINVALID, "A topic is required.")
	}
	if err := in.Validate(true); err != nil {
		return nil, err
	}
	now := s.now()
	row := topicRow{Key: in.Key, Name: in.Name, Description: in.Description, DoubleOptIn: in.DoubleOptIn, CreatedAt: now, UpdatedAt: now}
	if err := s.db.WithContext(ctx).Create(&row).Error; err != nil {
		if isUniqueViolation(err) {
			return nil, models.Errorf(models.ECONFLICT, "Topic %q already exists.", in.Key)
		}
		return nil, mapError(err, "Topic")
	}
	return row.model(), nil
}

// UpdateTopic implements models.TopicService.
func (s *Store) UpdateTopic(ctx context.Context, key string, in *models.TopicInput) (*models.Topic, error) {
	if in == nil {
		return nil, models.Errorf(models.EINVALID, "A topic is required.")
	}
	if !models.ValidTopicKey(key) {
		return nil, errTopicNotFound(key)
	}
	if err := in.Validate(false); err != nil {
		return nil, err
	}
	var out *models.Topic
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		res := tx.Model(&topicRow{}).Where("key = ?", key).Updates(map[string]any{
			"name":          in.Name,
			"description":   in.Description,
			"double_opt_in": in.DoubleOptIn,
			"updated_at":    s.now(),
		})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		var row topicRow
		if err := tx.Where("key = ?", key).Take(&row).Error; err != nil {
			return err
		}
		out = row.model()
		return nil
	})
	if err != nil {
		return nil, mapError(err, "Topic")
	}
	return out, nil
}

// DeleteTopic implements models.TopicService.
func (s *Store) DeleteTopic(ctx context.Context, key string) error {
	if !models.ValidTopicKey(key) {
		return errTopicNotFound(key)
	}
	err := s.tx(ctx, false, func(tx *gorm.DB) error {
		var n int64
		if err := tx.Model(&consentEventRow{}).Where("topic = ?", key).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return models.Errorf(models.ECONFLICT, "Topic %q has consent history and cannot be deleted; customers' records refer to it.", key)
		}
		res := tx.Where("key = ?", key).Delete(&topicRow{})
		if res.Error != nil {
			if isForeignKeyViolation(res.Error) {
				// A consent committed between the check and the delete.
				return models.Errorf(models.ECONFLICT, "Topic %q has consent history and cannot be deleted; customers' records refer to it.", key)
			}
			return res.Error
		}
		if res.RowsAffected == 0 {
			return gorm.ErrRecordNotFound
		}
		return nil
	})
	return mapError(err, "Topic")
}

// errTopicNotFound answers for a key that is not, or cannot be, a topic.
// Keys that break the key format never reach SQL: PostgreSQL rejects NUL
// bytes and invalid UTF-8 with an error that is not the client's fault.
func errTopicNotFound(key string) error {
	if !models.ValidTopicKey(key) {
		return models.Errorf(models.ENOTFOUND, "Topic not found.")
	}
	return models.Errorf(models.ENOTFOUND, "Topic %q not found.", key)
}
