package config

import (
	"strings"
	"testing"
)

// TestValidateSecretFiles: a malformed secretFiles glob is reported at startup (naming the
// setting and the glob), not discovered when the first completion is built.
func TestValidateSecretFiles(t *testing.T) {
	for _, tc := range []struct {
		globs   string
		wantErr string
	}{
		{"", ""},
		{"*.secret, vault/, deploy/**/*.tfvars, !.env.example, *.{crt,jks}", ""},
		{"*.ok,[abc", `"[abc"`},
		{"*.{pem,key", `"*.{pem,key"`},
	} {
		c := Default()
		c.SecretFiles = tc.globs
		err := c.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("secretFiles %q: %v", tc.globs, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), "secretFiles") || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("secretFiles %q: error %v, want one naming secretFiles and %s", tc.globs, err, tc.wantErr)
		}
	}
}
