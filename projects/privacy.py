"""Who may be named on a public page: the rule is defined once, in researchers.privacy (the partner
pages use it too); this module keeps the name the projects app and its templates know.
"""

from researchers.privacy import PeopleShown, is_publicly_listed, people_shown

__all__ = ["PeopleShown", "is_publicly_listed", "people_shown"]
