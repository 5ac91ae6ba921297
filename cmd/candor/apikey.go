package main

import (
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/candor/candor/configs"
	"github.com/candor/candor/models"
	"github.com/spf13/cobra"
)

func newAPIKeyCmd(getenv func(string) string) *cobra.Command {
	cmd := &cobra.Command{Use: "apikey", Short: "Create, list and revoke API keys"}

	var name, roleName, ownerName, ownerEmail string
	create := &cobra.Command{
		Use:   "create --name NAME --role viewer|editor|admin --owner-name NAME --owner-email EMAIL",
		Short: "Create an API key and print it (only the key, on stdout; it is not shown again)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			in := &models.APIKeyInput{Name: name, Role: models.Role(roleName), OwnerName: ownerName, OwnerEmail: ownerEmail}
			if err := in.Validate(); err != nil {
				return fieldErrors(err)
			}
			if err := in.ValidateOwner(); err != nil {
				return fieldErrors(err)
			}
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "apikey", configs.ModeDatabase, false)
			if err != nil {
				return err
			}
			defer a.Close()
			key, plain, err := a.store.CreateAPIKey(cmd.Context(), in)
			if err != nil {
				return err
			}
			// The id is enough to find the key in "apikey list"; even its
			// display prefix stays out of logs, which travel further than
			// the terminal.
			a.log.Info("api key created", "id", key.ID, "role", string(key.Role))
			fmt.Fprintln(cmd.OutOrStdout(), plain)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "a name that says who uses the key (required)")
	create.Flags().StringVar(&roleName, "role", "", "viewer (read), editor (write) or admin (required)")
	create.Flags().StringVar(&ownerName, "owner-name", "", "the person the key belongs to (required); four-eyes approval compares owners")
	create.Flags().StringVar(&ownerEmail, "owner-email", "", "the owner's email address (required); it identifies the owner")
	_ = create.MarkFlagRequired("name")
	_ = create.MarkFlagRequired("owner-name")
	_ = create.MarkFlagRequired("owner-email")
	_ = create.MarkFlagRequired("role")

	list := &cobra.Command{
		Use:   "list",
		Short: "List API keys (never the keys themselves)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "apikey", configs.ModeDatabase, false)
			if err != nil {
				return err
			}
			defer a.Close()
			keys, err := a.store.APIKeys(cmd.Context())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 2, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tOWNER\tPREFIX\tCREATED\tREVOKED")
			for _, k := range keys {
				revoked := "-"
				if k.RevokedAt != nil {
					revoked = k.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Name, k.Role, k.OwnerEmail, k.Prefix, k.CreatedAt.Format(time.RFC3339), revoked)
			}
			return tw.Flush()
		},
	}

	revoke := &cobra.Command{
		Use:   "revoke ID",
		Short: "Revoke an API key by id (see apikey list)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil || id <= 0 {
				return fmt.Errorf("ID must be a positive whole number, got %q", args[0])
			}
			a, err := openApp(cmd.Context(), getenv, cmd.ErrOrStderr(), "apikey", configs.ModeDatabase, false)
			if err != nil {
				return err
			}
			defer a.Close()
			if err := a.store.RevokeAPIKey(cmd.Context(), id); err != nil {
				return fmt.Errorf("revoke key %d: %s", id, models.ErrorMessage(err))
			}
			fmt.Fprintf(cmd.OutOrStdout(), "revoked key %d\n", id)
			return nil
		},
	}
	cmd.AddCommand(create, list, revoke)
	return cmd
}

// fieldErrors turns a validation error into one readable error for the CLI.
func fieldErrors(err error) error {
	fields := models.ErrorFields(err)
	if len(fields) == 0 {
		return err
	}
	msg := ""
	for i, f := range fields {
		if i > 0 {
			msg += "; "
		}
		msg += "--" + f.Field[1:] + " " + f.Detail
	}
	return fmt.Errorf("%s", msg)
}
