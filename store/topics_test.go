package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/candor/candor/models"
)

func TestTopics(t *testing.T) {
	forEachBackend(t, func(t *testing.T, backend string) {
		ctx := context.Background()
		clk := newClock()
		s := mustOpenWith(t, backend, clk.Now)

		t.Run("the first migration creates the default topics", func(t *testing.T) {
			items, next, err := s.Topics(ctx, models.Page{})
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, tp := range items {
				keys = append(keys, tp.Key)
				if tp.Name == "" || tp.Description == "" || tp.CreatedAt.IsZero() {
					t.Errorf("topic %s lacks a name, description or creation time: %+v", tp.Key, tp)
				}
			}
			want := []string{"competitor-comparisons", "pricing-guides", "product-roadmap", "technology-alternatives"}
			if diff := cmp.Diff(want, keys); diff != "" || next != "" {
				t.Errorf("topics (-want +got):\n%s next=%q", diff, next)
			}
		})

		t.Run("a created topic reads back and pages by key", func(t *testing.T) {
			in := &models.TopicInput{Key: "a-first", Name: "First", Description: "Sorted first."}
			created, err := s.CreateTopic(ctx, in)
			if err != nil {
				t.Fatal(err)
			}
			now := clk.Now().Truncate(time.Microsecond)
			want := &models.Topic{Key: "a-first", Name: "First", Description: "Sorted first.", CreatedAt: now, UpdatedAt: now}
			if diff := cmp.Diff(want, created); diff != "" {
				t.Errorf("created (-want +got):\n%s", diff)
			}
			got, err := s.Topic(ctx, "a-first")
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("read back (-want +got):\n%s", diff)
			}
			page1, next, err := s.Topics(ctx, models.Page{Limit: 2})
			if err != nil || len(page1) != 2 || page1[0].Key != "a-first" || next == "" {
				t.Fatalf("page 1 = %v next=%q err=%v", page1, next, err)
			}
			page2, next2, err := s.Topics(ctx, models.Page{Limit: 2, Cursor: next})
			if err != nil || len(page2) != 2 || page2[0].Key != "pricing-guides" || next2 == "" {
				t.Fatalf("page 2 = %v next=%q err=%v", page2, next2, err)
			}
		})

		t.Run("an update changes name and description only", func(t *testing.T) {
			clk.Advance(time.Hour)
			got, err := s.UpdateTopic(ctx, "a-first", &models.TopicInput{Key: "ignored", Name: "Renamed", Description: ""})
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != "a-first" || got.Name != "Renamed" || got.Description != "" || !got.UpdatedAt.After(got.CreatedAt) {
				t.Errorf("updated topic = %+v", got)
			}
		})

		errCases := []struct {
			name string
			call func() error
			code string
		}{
			{"creating an existing key conflicts", func() error {
				_, err := s.CreateTopic(ctx, &models.TopicInput{Key: "pricing-guides", Name: "Again"})
				return err
			}, models.ECONFLICT},
			{"creating a bad key is invalid", func() error {
				_, err := s.CreateTopic(ctx, &models.TopicInput{Key: "Bad Key", Name: "Bad"})
				return err
			}, models.EINVALID},
			{"updating without a name is invalid", func() error {
				_, err := s.UpdateTopic(ctx, "a-first", &models.TopicInput{})
				return err
			}, models.EINVALID},
			{"updating an unknown topic is not found", func() error {
				_, err := s.UpdateTopic(ctx, "nope", &models.TopicInput{Name: "Nope"})
				return err
			}, models.ENOTFOUND},
			{"reading an unknown topic is not found", func() error {
				_, err := s.Topic(ctx, "nope")
				return err
			}, models.ENOTFOUND},
			{"deleting an unknown topic is not found", func() error { return s.DeleteTopic(ctx, "nope") }, models.ENOTFOUND},
			{"a bad topic cursor is invalid", func() error {
				_, _, err := s.Topics(ctx, models.Page{Cursor: "!!"})
				return err
			}, models.EINVALID},
		}
		for _, tt := range errCases {
			t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.code) })
		}

		t.Run("a topic without consent history can be deleted", func(t *testing.T) {
			if err := s.DeleteTopic(ctx, "a-first"); err != nil {
				t.Fatal(err)
			}
			_, err := s.Topic(ctx, "a-first")
			wantCode(t, err, models.ENOTFOUND)
		})

		t.Run("a topic with consent history cannot be deleted", func(t *testing.T) {
			mustPutCustomer(t, s, customerInput("t1"))
			mustSetConsent(t, s, "t1", "pricing-guides", models.ConsentOptedIn)
			mustSetConsent(t, s, "t1", "pricing-guides", models.ConsentOptedOut)
			wantCode(t, s.DeleteTopic(ctx, "pricing-guides"), models.ECONFLICT)
			if _, err := s.Topic(ctx, "pricing-guides"); err != nil {
				t.Errorf("topic gone after refused delete: %v", err)
			}
		})
	})
}
