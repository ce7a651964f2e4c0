package service

import (
	"context"
	"strconv"
	"time"

	"github.com/stackgate/stackgate"
)

// DefaultMaxGrace caps a rotation's grace window unless configured.
const DefaultMaxGrace = 30 * 24 * time.Hour

// Rotation is what a rotation returns besides the token: when the value it
// replaced stops working (zero: it already has).
type Rotation struct {
	PreviousExpiresAt time.Time
}

// graceUntil validates a rotation's grace_period_seconds (nil: 0) and
// returns the end of the window; zero for none.
func (s *Service) graceUntil(grace *int64, now time.Time) (time.Time, error) {
	if grace == nil || *grace == 0 {
		return time.Time{}, nil
	}
	max := s.cfg.MaxRotationGrace
	if max <= 0 {
		max = DefaultMaxGrace
	}
	if *grace < 0 || time.Duration(*grace) > max/time.Second {
		return time.Time{}, stackgate.FieldError(stackgate.EINVALID, "grace_period_seconds",
			"must be between 0 and "+strconv.FormatInt(int64(max/time.Second), 10)+".")
	}
	return now.Add(time.Duration(*grace) * time.Second), nil
}

// RotateDeliveryToken gives the delivery token a new value; the old one
// works until the grace window ends.
func (s *Service) RotateDeliveryToken(ctx context.Context, by stackgate.Actor, uid string, grace *int64) (*DeliveryTokenView, Rotation, error) {
	return s.rotateDelivery(ctx, by, uid, grace, s.store.RotateDeliveryToken)
}

// RotatePreviewToken gives the delivery token's preview token a new value;
// the old one works until the grace window ends.
func (s *Service) RotatePreviewToken(ctx context.Context, by stackgate.Actor, uid string, grace *int64) (*DeliveryTokenView, Rotation, error) {
	return s.rotateDelivery(ctx, by, uid, grace, s.store.RotatePreviewToken)
}

func (s *Service) rotateDelivery(ctx context.Context, by stackgate.Actor, uid string, grace *int64,
	rotate func(ctx context.Context, stackUID, uid string, next stackgate.Sealed, previousUntil time.Time, by string, at time.Time) error) (*DeliveryTokenView, Rotation, error) {
	now := s.Now()
	until, err := s.graceUntil(grace, now)
	if err != nil {
		return nil, Rotation{}, err
	}
	next, err := s.keys.Seal(stackgate.NewTokenValue())
	if err != nil {
		return nil, Rotation{}, err
	}
	if err := rotate(ctx, by.Stack.UID, uid, next, until, by.UID, now); err != nil {
		return nil, Rotation{}, err
	}
	v, err := s.DeliveryToken(ctx, by, uid)
	return v, Rotation{PreviousExpiresAt: until}, err
}

// RotateManagementToken gives the management token a new value, returned
// this once in Token; the old one works until the grace window ends.
func (s *Service) RotateManagementToken(ctx context.Context, by stackgate.Actor, uid string, grace *int64) (*stackgate.ManagementToken, Rotation, error) {
	now := s.Now()
	until, err := s.graceUntil(grace, now)
	if err != nil {
		return nil, Rotation{}, err
	}
	value := stackgate.NewTokenValue()
	if err := s.store.RotateManagementToken(ctx, by.Stack.UID, uid, s.keys.Hash(value), s.keys.HMACKeyID(), until, by.UID, now); err != nil {
		return nil, Rotation{}, err
	}
	t, err := s.ManagementToken(ctx, by, uid)
	if err != nil {
		return nil, Rotation{}, err
	}
	t.Token = value
	return t, Rotation{PreviousExpiresAt: until}, nil
}
