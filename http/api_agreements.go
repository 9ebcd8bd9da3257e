package http

import (
	"io"
	"net/http"
	"strconv"

	"github.com/tandemhq/tandem"
)

func (s *Server) getAgreementInForce(w http.ResponseWriter, r *http.Request) error {
	v, err := s.DB.AgreementInForce(r.Context(), s.DB.Now())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

func (s *Server) listAgreements(w http.ResponseWriter, r *http.Request) error {
	vs, err := s.DB.AgreementVersions(r.Context())
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []tandem.AgreementVersion{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"items": vs})
}

func (s *Server) getAgreement(w http.ResponseWriter, r *http.Request) error {
	n, err := strconv.Atoi(r.PathValue("version"))
	if err != nil || n <= 0 {
		return tandem.Errorf(tandem.ENOTFOUND, "%q is not an agreement version", r.PathValue("version"))
	}
	v, err := s.DB.AgreementVersion(r.Context(), n)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, v)
}

// proposeAgreement stores the request body (the agreement file, YAML) as a
// new version awaiting signatures.
func (s *Server) proposeAgreement(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return err
	}
	v, created, err := s.DB.ProposeAgreement(r.Context(), "request body", string(body), actor(r))
	if err != nil {
		return err
	}
	if !created { // the same file as the latest version
		return writeJSON(w, http.StatusOK, v)
	}
	return writeJSON(w, http.StatusCreated, v)
}
