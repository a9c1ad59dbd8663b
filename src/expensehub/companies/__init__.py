"""Companies, legal entities and employees."""
