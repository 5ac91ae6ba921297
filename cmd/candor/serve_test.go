package main

import (
	"testing"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/google/go-cmp/cmp"
)

func TestPlanSettingsComeFromTheConfig(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *configs.Config)
		want   models.PlanSettings
	}{
		{"embedded mode can plan every channel, through the outbox", nil, models.PlanSettings{
			Channels:       models.Channels,
			SendsPerMinute: map[models.Channel]int{models.ChannelEmail: 3000, models.ChannelSMS: 600, models.ChannelWebhook: 3000},
		}},
		{"real backends plan only channels with settings of their own", func(c *configs.Config) {
			c.DatabaseURL, c.RedisURL, c.SMTP.Host, c.SMSRate = "postgres://db/candor", "redis://r:6379/0", "smtp.example.com", "30/m"
		}, models.PlanSettings{
			Channels:       []models.Channel{models.ChannelEmail},
			SendsPerMinute: map[models.Channel]int{models.ChannelEmail: 3000, models.ChannelSMS: 30, models.ChannelWebhook: 3000},
		}},
		{"defaults and the global cap are passed on", func(c *configs.Config) {
			c.DefaultTimezone, c.DefaultWindows, c.MaxMessagesPerCustomer = "Europe/Berlin", "mon-fri 09:00-17:00", "4/30d"
		}, models.PlanSettings{
			Channels:        models.Channels,
			DefaultTimezone: "Europe/Berlin",
			DefaultWindows:  []models.Window{{Days: []string{"mon", "tue", "wed", "thu", "fri"}, Start: "09:00", End: "17:00"}},
			GlobalCap:       &models.Cadence{Max: 4, Per: "30d"},
			SendsPerMinute:  map[models.Channel]int{models.ChannelEmail: 3000, models.ChannelSMS: 600, models.ChannelWebhook: 3000},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := configs.Defaults()
			if tt.change != nil {
				tt.change(cfg)
			}
			if diff := cmp.Diff(tt.want, planSettings(cfg)); diff != "" {
				t.Errorf("plan settings (-want +got):\n%s", diff)
			}
		})
	}
}
