"""The conformance suite (marker ``conformance``): correct traffic through the DUT, judged byte
by byte under the run's profile. Every test names the requirement ids it checks
(/work/shared/conformance-requirements.md, harness.verify.requirements)."""
