"""The background process: scheduled reports (webhook delivery runs beside it, from webhooks/)."""
