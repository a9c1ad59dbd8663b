"""Static material for the demo company: names, places, merchants, categories, accounts, price levels.

Everything here is plain data (no randomness); the ``seed`` package draws from it with a seeded generator.
Merchants are real, well-known brands so the demo reads like a real ledger; clients, people and
companies are invented. E-mail domains use the reserved ``.example`` top-level domain.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

# All demo timestamps derive from this instant (never the wall clock), so a seed always builds the
# same rows. The expensables cover the WINDOW_DAYS days before it.
ANCHOR = datetime(2026, 10, 31, 12, 0, tzinfo=UTC)
WINDOW_DAYS = 548

COMPANY_NAMES = [
    "Brisa Analytics",
    "Lumbre Software",
    "Nordeste Data",
    "Tramuntana Labs",
    "Cierzo Systems",
    "Albufera Digital",
    "Marea Robotics",
    "Ponent Cloud",
]

# --- people -------------------------------------------------------------------------------------

ES_FIRST_NAMES = [
    "Lucía", "María", "Carmen", "Paula", "Laura", "Marta", "Sara", "Elena", "Cristina", "Alba",
    "Irene", "Nuria", "Beatriz", "Rocío", "Julia", "Inés", "Andrea", "Silvia", "Pilar", "Clara",
    "Alejandro", "Daniel", "Pablo", "Javier", "Sergio", "Álvaro", "Carlos", "Adrián", "Diego", "Jorge",
    "David", "Manuel", "Miguel", "Iván", "Rubén", "Óscar", "Raúl", "Hugo", "Íñigo", "Gonzalo",
]  # fmt: skip
ES_SURNAMES = [
    "García", "Fernández", "González", "Rodríguez", "López", "Martínez", "Sánchez", "Pérez", "Gómez",
    "Martín", "Jiménez", "Ruiz", "Hernández", "Díaz", "Moreno", "Muñoz", "Álvarez", "Romero", "Navarro",
    "Torres", "Domínguez", "Vázquez", "Ramos", "Gil", "Serrano", "Blanco", "Molina", "Castro", "Ortega",
    "Rubio", "Marín", "Sanz", "Iglesias", "Medina", "Garrido", "Cortés", "Castillo", "Lozano", "Guerrero",
    "Cano", "Prieto", "Méndez", "Calvo", "Cruz", "Gallego", "Vidal", "León", "Herrera", "Peña", "Aguirre",
    "Echeverría", "Urquijo", "Puig", "Ferrer", "Soler",
]  # fmt: skip
GB_FIRST_NAMES = [
    "Olivia", "Amelia", "Isla", "Ava", "Emily", "Sophie", "Grace", "Charlotte", "Freya", "Poppy",
    "Hannah", "Chloe", "Lucy", "Eleanor", "Imogen", "Harriet", "Priya", "Aisha", "Niamh", "Megan",
    "Oliver", "George", "Harry", "Jack", "Charlie", "Thomas", "James", "William", "Oscar", "Henry",
    "Alfie", "Samuel", "Joseph", "Daniel", "Arjun", "Rhys", "Callum", "Euan", "Ben", "Matthew",
]  # fmt: skip
GB_SURNAMES = [
    "Smith", "Jones", "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson",
    "Roberts", "Robinson", "Thompson", "Wright", "Walker", "White", "Edwards", "Hughes", "Green", "Hall",
    "Lewis", "Harris", "Clarke", "Patel", "Jackson", "Wood", "Turner", "Martin", "Cooper", "Hill",
    "Ward", "Morris", "Moore", "Clark", "Lee", "King", "Baker", "Harrison", "Morgan", "Allen", "Khan",
    "O'Brien", "MacLeod", "Fraser", "Kaur", "Murphy", "Bennett", "Shaw", "Holmes", "Fletcher",
]  # fmt: skip


@dataclass(frozen=True)
class EntitySpec:
    """One legal entity of the demo company."""

    key: str  # "es" or "gb"
    country: str
    suffix: str
    currency: str
    city: str
    state: str
    postal_code: str
    address_line_1: str
    tin_prefix: str
    identifier_prefix: str


ENTITIES = [
    EntitySpec("es", "es", "España SL", "EUR", "Madrid", "Madrid", "28006", "Calle de Serrano 41, 3ª planta",
               "B", "ES"),
    EntitySpec("gb", "gb", "UK Ltd", "GBP", "London", "England", "EC1R 3GA", "20 Farringdon Road, 4th floor",
               "GB", "UK"),
]  # fmt: skip
ES_SHARE = 0.6  # share of employees in the Spanish entity

# --- finance reference data ---------------------------------------------------------------------


@dataclass(frozen=True)
class CostCenterSpec:
    code: str
    name: str
    description: str
    weight: float  # how many employees it gets
    spend: float  # how much its people spend
    deactivated_days_ago: int | None = None


COST_CENTERS = [
    CostCenterSpec("CC-100", "Sales", "New business and account management", 30, 3.0),
    CostCenterSpec("CC-200", "Engineering", "Product development and infrastructure", 35, 0.8),
    CostCenterSpec("CC-300", "Marketing", "Brand, events and demand generation", 10, 1.6),
    CostCenterSpec("CC-400", "Customer Success", "Onboarding, support and renewals", 12, 2.0),
    CostCenterSpec("CC-500", "Finance & Admin", "Finance, legal and office management", 6, 0.5),
    CostCenterSpec("CC-600", "People & Talent", "Recruiting and people operations", 5, 0.7),
    CostCenterSpec("CC-900", "Legacy Consulting", "Consulting practice wound down in 2025", 0, 1.0, 420),
]
# Order in which manager positions are filled: (cost centre code, entity key).
MANAGER_SLOTS = [
    ("CC-100", "es"), ("CC-200", "es"), ("CC-500", "es"), ("CC-100", "gb"), ("CC-200", "gb"),
    ("CC-400", "gb"), ("CC-300", "es"), ("CC-600", "es"), ("CC-400", "es"), ("CC-300", "gb"),
]  # fmt: skip


@dataclass(frozen=True)
class CategorySpec:
    identifier: str
    label: str
    type: str
    subcategories: tuple[tuple[str, str], ...] = ()
    enabled: bool = True
    renamed: str | None = None


CATEGORIES = [
    CategorySpec("restaurants", "Meals", "expense",
                 (("restaurants_restaurant", "Restaurants"), ("restaurants_breakfast", "Breakfast & coffee"),
                  ("restaurants_team", "Team meals"))),
    CategorySpec("travel", "Travel", "expense",
                 (("travel_flights", "Flights"), ("travel_trains", "Trains"),
                  ("travel_taxi", "Taxi & ride-hailing"), ("travel_hotel", "Hotels"),
                  ("travel_parking", "Parking & tolls"), ("travel_car_rental", "Car rental"))),
    CategorySpec("fuel", "Fuel", "expense"),
    CategorySpec("mileage", "Mileage", "mileage"),
    CategorySpec("per_diem", "Per diem", "perdiem",
                 (("per_diem_national", "National"), ("per_diem_international", "International"))),
    CategorySpec("office_supplies", "Office supplies", "expense"),
    CategorySpec("software", "Software & subscriptions", "expense"),
    CategorySpec("training", "Training", "expense",
                 (("training_courses", "Courses & conferences"), ("training_books", "Books"))),
    CategorySpec("client_entertainment", "Client entertainment", "expense", renamed="Client hospitality"),
    CategorySpec("phone_internet", "Phone & internet", "expense"),
    CategorySpec("gifts", "Gifts", "expense", enabled=False),
]  # fmt: skip


@dataclass(frozen=True)
class AccountSpec:
    number: str
    name: str
    type: str
    disabled: bool = False


ACCOUNTS: dict[str, list[AccountSpec]] = {
    # Spanish chart of accounts (PGC): group 6 expenses, 472 input VAT, 465 payable to staff, 572 banks.
    "es": [
        AccountSpec("6270000", "Publicidad, propaganda y relaciones públicas", "expense"),
        AccountSpec("6280000", "Suministros", "expense"),
        AccountSpec("6290000", "Otros servicios", "expense"),
        AccountSpec("6290001", "Gastos de viaje", "expense"),
        AccountSpec("6290002", "Dietas y manutención", "expense"),
        AccountSpec("6290003", "Kilometraje", "expense"),
        AccountSpec("6290004", "Software y suscripciones", "expense"),
        AccountSpec("6290005", "Material de oficina", "expense"),
        AccountSpec("6290099", "Gastos varios (no usar)", "expense", disabled=True),
        AccountSpec("6490000", "Formación del personal", "expense"),
        AccountSpec("4720000", "Hacienda Pública, IVA soportado", "current_asset"),
        AccountSpec("4650000", "Remuneraciones pendientes de pago", "current_liability"),
        AccountSpec("5720000", "Bancos e instituciones de crédito c/c", "bank"),
    ],
    # UK nominal codes in the common Sage layout.
    "gb": [
        AccountSpec("7300", "Fuel and oil", "expense"),
        AccountSpec("7305", "Mileage allowances", "expense"),
        AccountSpec("7400", "Travelling", "expense"),
        AccountSpec("7401", "Car hire", "expense"),
        AccountSpec("7402", "Hotels", "expense"),
        AccountSpec("7403", "Entertainment", "expense"),
        AccountSpec("7406", "Subsistence", "expense"),
        AccountSpec("7502", "Office stationery", "expense"),
        AccountSpec("7503", "Books and publications", "expense"),
        AccountSpec("7550", "Telephone and internet", "expense"),
        AccountSpec("7800", "Staff training", "expense"),
        AccountSpec("8201", "Subscriptions and software", "expense"),
        AccountSpec("2201", "Purchase tax control (input VAT)", "current_asset"),
        AccountSpec("2250", "Employee expense claims payable", "current_liability"),
        AccountSpec("1200", "Bank current account", "bank"),
    ],
}

# Category identifier -> expense account number, per entity. A parent maps like its first child.
CATEGORY_ACCOUNTS: dict[str, tuple[str, str]] = {
    "restaurants": ("6290002", "7406"),
    "restaurants_restaurant": ("6290002", "7406"),
    "restaurants_breakfast": ("6290002", "7406"),
    "restaurants_team": ("6290002", "7406"),
    "travel": ("6290001", "7400"),
    "travel_flights": ("6290001", "7400"),
    "travel_trains": ("6290001", "7400"),
    "travel_taxi": ("6290001", "7400"),
    "travel_hotel": ("6290001", "7402"),
    "travel_parking": ("6290001", "7400"),
    "travel_car_rental": ("6290001", "7401"),
    "fuel": ("6280000", "7300"),
    "mileage": ("6290003", "7305"),
    "per_diem": ("6290002", "7406"),
    "per_diem_national": ("6290002", "7406"),
    "per_diem_international": ("6290002", "7406"),
    "office_supplies": ("6290005", "7502"),
    "software": ("6290004", "8201"),
    "training": ("6490000", "7800"),
    "training_courses": ("6490000", "7800"),
    "training_books": ("6490000", "7503"),
    "client_entertainment": ("6270000", "7403"),
    "phone_internet": ("6280000", "7550"),
    "gifts": ("6270000", "7403"),
}


@dataclass(frozen=True)
class SpendKind:
    """A kind of receipt-backed expense: category leaf, how often, price range (EUR), VAT, merchants."""

    leaf: str
    weight: float
    low: float
    high: float
    vat_es: tuple[int, ...]  # percent; two rates = a receipt with two VAT lines
    vat_gb: tuple[int, ...]
    merchants: str
    card: bool  # typically paid with a company card when the employee has one
    project: bool  # often booked to a client project


SPEND_KINDS = [
    SpendKind("restaurants_restaurant", 22, 9, 75, (10,), (20,), "meal", True, True),
    SpendKind("restaurants_breakfast", 8, 2.5, 14, (10,), (20,), "coffee", True, False),
    SpendKind("restaurants_team", 3, 80, 450, (10, 21), (20,), "meal", True, False),
    SpendKind("travel_flights", 6, 55, 850, (10,), (), "flight", True, True),
    SpendKind("travel_trains", 9, 12, 160, (10,), (), "train", True, True),
    SpendKind("travel_taxi", 12, 7, 55, (10,), (), "taxi", True, True),
    SpendKind("travel_hotel", 7, 75, 620, (10,), (20,), "hotel", True, True),
    SpendKind("travel_parking", 4, 3, 35, (21,), (20,), "parking", True, True),
    SpendKind("travel_car_rental", 1.5, 60, 380, (21,), (20,), "car_rental", True, True),
    SpendKind("fuel", 8, 35, 95, (21,), (20,), "fuel", True, True),
    SpendKind("office_supplies", 5, 4, 140, (21,), (20,), "office", False, False),
    SpendKind("software", 4, 8, 480, (21,), (20,), "software", True, False),
    SpendKind("training_courses", 1.5, 90, 1400, (21,), (20,), "course", False, False),
    SpendKind("training_books", 2, 12, 65, (4,), (), "book", False, False),
    SpendKind("client_entertainment", 4, 45, 620, (10, 21), (20,), "entertainment", True, True),
    SpendKind("phone_internet", 2, 15, 65, (21,), (20,), "phone", False, False),
]

# --- places, currencies and merchants -----------------------------------------------------------

# Prices relative to Madrid, in each currency (a Madrid lunch of 20 EUR costs about 20 x factor).
PRICE_LEVEL = {"EUR": 1.0, "GBP": 0.9, "USD": 1.25, "CHF": 1.2, "SEK": 12.0, "JPY": 150.0}
# Euros per unit, the level around which the demo's daily rates move.
EUR_PER_UNIT = {"EUR": 1.0, "GBP": 1.165, "USD": 0.915, "CHF": 1.06, "SEK": 0.0868, "JPY": 0.00605}


@dataclass(frozen=True)
class Destination:
    city: str
    currency: str
    merchants: str  # key into MERCHANTS
    weight_from_es: float
    weight_from_gb: float


FOREIGN_DESTINATIONS = [
    Destination("London", "GBP", "gb", 30, 0),
    Destination("Madrid", "EUR", "es", 0, 30),
    Destination("Paris", "EUR", "eu", 0, 12),
    Destination("Berlin", "EUR", "eu", 0, 8),
    Destination("Amsterdam", "EUR", "eu", 0, 6),
    Destination("New York", "USD", "us", 14, 14),
    Destination("San Francisco", "USD", "us", 8, 8),
    Destination("Zurich", "CHF", "ch", 9, 7),
    Destination("Geneva", "CHF", "ch", 4, 4),
    Destination("Stockholm", "SEK", "se", 9, 7),
    Destination("Tokyo", "JPY", "jp", 6, 6),
    Destination("Osaka", "JPY", "jp", 2, 2),
]

DOMESTIC_ROUTES = {
    "es": ["Madrid – Barcelona", "Madrid – Sevilla", "Madrid – Valencia", "Madrid – Bilbao",
           "Madrid – Málaga", "Barcelona – Madrid", "Madrid – A Coruña"],
    "gb": ["London – Manchester", "London – Edinburgh", "London – Birmingham", "London – Leeds",
           "London – Bristol", "London – Glasgow", "Manchester – London"],
}  # fmt: skip
DOMESTIC_CITIES = {
    "es": ["Barcelona", "Sevilla", "Valencia", "Bilbao", "Málaga", "Zaragoza"],
    "gb": ["Manchester", "Edinburgh", "Birmingham", "Leeds", "Bristol", "Glasgow"],
}
HOME_CITY = {"es": "Madrid", "gb": "London"}

MERCHANTS: dict[str, dict[str, list[str]]] = {
    "meal": {
        "es": ["Casa Lucio", "Taberna La Bola", "VIPS", "Honest Greens", "Goiko", "La Máquina Chamberí",
               "Lateral Castellana", "Rodilla", "Cañas y Tapas", "Sagardi"],
        "gb": ["Pret A Manger", "Dishoom", "Wagamama", "Côte Brasserie", "Leon", "Itsu", "Nando's",
               "Franco Manca", "Flat Iron", "Hawksmoor"],
        "us": ["Shake Shack", "Sweetgreen", "Katz's Delicatessen", "Joe's Pizza", "Chipotle"],
        "ch": ["Zeughauskeller", "Hiltl", "Holy Cow!", "Tibits"],
        "se": ["Max Burgers", "Pelikan", "Vapiano", "Meatballs for the People"],
        "jp": ["Ichiran", "Yoshinoya", "Sushi Zanmai", "Coco Ichibanya"],
        "eu": ["Le Pain Quotidien", "Vapiano", "Brasserie Lipp", "Café de Flore", "Bistrot Paul Bert"],
    },
    "coffee": {
        "es": ["Starbucks", "Granier", "Pans & Company", "Rodilla", "Café & Té"],
        "gb": ["Costa Coffee", "Caffè Nero", "Pret A Manger", "Greggs", "Starbucks"],
        "us": ["Starbucks", "Blue Bottle Coffee", "Dunkin'"],
        "ch": ["Sprüngli", "Starbucks"],
        "se": ["Espresso House", "Wayne's Coffee"],
        "jp": ["Doutor", "Tully's Coffee", "Starbucks"],
        "eu": ["Paul", "Starbucks"],
    },
    "flight": {
        "es": ["Iberia", "Vueling", "Air Europa", "Ryanair"],
        "gb": ["British Airways", "easyJet", "Ryanair", "Jet2"],
        "us": ["Delta Air Lines", "United Airlines", "American Airlines"],
        "ch": ["SWISS"],
        "se": ["SAS"],
        "jp": ["ANA", "Japan Airlines"],
        "eu": ["Air France", "Lufthansa", "KLM"],
    },
    "train": {
        "es": ["Renfe", "Iryo", "Ouigo España"],
        "gb": ["Trainline", "LNER", "Avanti West Coast", "GWR", "Transport for London"],
        "us": ["Amtrak", "MTA New York City Transit", "BART"],
        "ch": ["SBB CFF FFS"],
        "se": ["SJ", "SL Stockholm"],
        "jp": ["JR East", "JR Central", "Tokyo Metro"],
        "eu": ["SNCF Connect", "Deutsche Bahn", "Eurostar", "NS International"],
    },
    "taxi": {
        "es": ["Cabify", "Uber", "FreeNow", "Radio Taxi Madrid"],
        "gb": ["Uber", "Addison Lee", "Bolt", "FreeNow"],
        "us": ["Uber", "Lyft", "Yellow Cab"],
        "ch": ["Uber", "Taxi 444 Zürich"],
        "se": ["Taxi Stockholm", "Bolt", "Uber"],
        "jp": ["Nihon Kotsu", "GO Taxi"],
        "eu": ["G7 Taxi", "Uber", "Bolt"],
    },
    "hotel": {
        "es": ["NH Collection", "Meliá", "Barceló", "AC Hotels by Marriott", "Ilunion"],
        "gb": ["Premier Inn", "Travelodge", "Hilton", "Hub by Premier Inn", "The Hoxton"],
        "us": ["Marriott", "Hilton", "Hyatt Regency", "citizenM"],
        "ch": ["Hotel Schweizerhof", "Motel One", "Ibis"],
        "se": ["Scandic", "Clarion Hotel", "Elite Hotels"],
        "jp": ["Dormy Inn", "APA Hotel", "Hotel Gracery"],
        "eu": ["Motel One", "Ibis", "NH Hotels", "Novotel"],
    },
    "parking": {
        "es": ["Empark", "Saba Aparcamientos", "Autopistas AP-6"],
        "gb": ["NCP", "APCOA", "Q-Park", "Dart Charge"],
        "eu": ["Indigo", "Q-Park"],
        "us": ["SpotHero", "Icon Parking"],
        "any": ["Q-Park", "APCOA"],
    },
    "car_rental": {"any": ["Europcar", "Hertz", "Avis", "Sixt", "Enterprise"]},
    "fuel": {
        "es": ["Repsol", "Cepsa", "BP", "Galp", "Shell"],
        "gb": ["Shell", "BP", "Esso", "Tesco Petrol", "Sainsbury's Petrol"],
        "any": ["Shell", "TotalEnergies", "BP"],
    },
    "office": {
        "es": ["Amazon.es", "Lyreco", "El Corte Inglés", "Office Depot", "Abacus"],
        "gb": ["Amazon.co.uk", "Ryman", "Viking", "WHSmith", "Argos"],
        "any": ["Amazon", "Staples"],
    },
    "software": {
        "any": ["Atlassian", "GitHub", "JetBrains", "Slack", "Figma", "Zoom", "Notion", "1Password", "Miro",
                "Adobe", "Google Workspace", "Dropbox", "Loom", "Canva"],
    },
    "course": {
        "es": ["Udemy", "Coursera", "South Summit", "IE Business School"],
        "gb": ["Udemy", "Coursera", "General Assembly", "QCon London", "Pluralsight"],
        "any": ["Udemy", "Coursera", "O'Reilly Media"],
    },
    "book": {
        "es": ["Casa del Libro", "Amazon.es", "Fnac"],
        "gb": ["Waterstones", "Amazon.co.uk", "Foyles"],
        "any": ["O'Reilly Media", "Manning Publications"],
    },
    "entertainment": {
        "es": ["Sobrino de Botín", "Restaurante Zalacaín", "Coque", "Lhardy", "Estadio Santiago Bernabéu"],
        "gb": ["The Ivy", "Hawksmoor", "Sketch", "Lord's Cricket Ground", "Aqua Shard"],
        "us": ["Balthazar", "Nobu", "Gramercy Tavern"],
        "any": ["Nobu", "Novikov"],
    },
    "phone": {
        "es": ["Movistar", "Vodafone España", "Orange", "Digi"],
        "gb": ["EE", "Vodafone UK", "O2", "BT"],
        "any": ["Airalo", "Vodafone"],
    },
}  # fmt: skip

# Invented clients (projects, descriptions).
CLIENTS = [
    "Grupo Alvedra", "Hoteles Marisma", "Northbank Logistics", "Fenwick & Hale", "Cooperativa Olivar del Sur",
    "Thameside Health Trust", "Bodegas Peñaranda", "Calloway Retail", "Astillero Cantábrico",
    "Harrowgate Insurance", "Transportes Ebro", "Kestrel Energy",
]  # fmt: skip

PROJECTS = [
    # (entity, code, name, client index, billable, start days ago, duration days, status)
    ("es", "P-2025-011", "Retail analytics rollout", 0, True, 700, 420, "closed"),
    ("es", "P-2025-019", "Revenue management pilot", 1, True, 520, 480, "active"),
    ("es", "P-2025-024", "ERP migration (internal)", None, False, 460, 600, "active"),
    ("es", "P-2026-003", "Harvest forecasting", 4, True, 300, 400, "active"),
    ("es", "P-2026-008", "Fleet telemetry", 10, True, 150, 365, "active"),
    ("gb", "P-2025-015", "Warehouse optimisation", 2, True, 600, 400, "closed"),
    ("gb", "P-2025-021", "Claims triage model", 7, True, 420, 540, "active"),
    ("gb", "P-2026-002", "Patient flow dashboard", 5, True, 260, 420, "active"),
    ("gb", "P-2026-010", "Pricing engine", 9, False, 120, 300, "draft"),
]

DESCRIPTIONS: dict[str, list[str]] = {
    "restaurants_restaurant": ["Lunch with {client}", "Working lunch", "Dinner during {city} trip",
                               "Lunch – sales visit to {client}", "Dinner after workshop"],
    "restaurants_breakfast": ["Breakfast before early flight", "Coffee with a candidate",
                              "Breakfast meeting"],
    "restaurants_team": ["Team lunch – sprint close", "Team dinner – quarterly kick-off", "Farewell lunch",
                         "Onboarding lunch for new joiners"],
    "travel_flights": ["Flight {route}", "Return flight {route}", "Flight change fee {route}"],
    "travel_trains": ["Train {route}", "Return train {route}"],
    "travel_taxi": ["Taxi to the airport", "Taxi from the station to {client}", "Ride to {client} offices",
                    "Taxi home after late release"],
    "travel_hotel": ["Hotel in {city}, {nights} nights", "Hotel in {city}, 1 night"],
    "travel_parking": ["Parking at client site", "Airport parking", "Motorway toll"],
    "travel_car_rental": ["Car rental in {city}"],
    "fuel": ["Fuel – client visits", "Fuel for rental car"],
    "office_supplies": ["Printer toner", "Notebooks and pens", "USB-C adapter", "Ergonomic mouse",
                        "Monitor stand for home office"],
    "software": ["{merchant} monthly subscription", "{merchant} annual licence", "{merchant} extra seats"],
    "training_courses": ["{merchant} course", "Conference ticket", "Certification exam fee"],
    "training_books": ["Book: Designing Data-Intensive Applications", "Book: The Mom Test",
                       "Book: Accelerate", "Book: Thinking in Systems"],
    "client_entertainment": ["Dinner with {client}", "Client event tickets",
                             "Drinks with {client} after workshop"],
    "phone_internet": ["Mobile bill", "Roaming pass", "Home broadband (50%)"],
}  # fmt: skip

REJECTION_REASONS = [
    "Personal expense, not reimbursable",
    "Over the policy limit for meals",
    "Missing receipt",
    "Already paid with the company card",
    "Outside the travel policy: book economy class",
]
DUPLICATE_REASON = "Duplicate of an expense already submitted"
CHANGE_REQUESTS = [
    "Please attach the itemised receipt",
    "Add the attendees' names",
    "Wrong category: this is client hospitality",
    "Please add the project",
    "The receipt date does not match",
]


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float


MILEAGE_PLACES: dict[str, list[Place]] = {
    "es": [
        Place("Madrid", 40.4168, -3.7038), Place("Toledo", 39.8628, -4.0273),
        Place("Segovia", 40.9429, -4.1088), Place("Guadalajara", 40.6333, -3.1667),
        Place("Ávila", 40.6566, -4.6818), Place("Alcalá de Henares", 40.4818, -3.3643),
        Place("Cuenca", 40.0704, -2.1374), Place("Valladolid", 41.6523, -4.7245),
        Place("Zaragoza", 41.6488, -0.8891), Place("Valencia", 39.4699, -0.3763),
        Place("Salamanca", 40.9701, -5.6635),
    ],
    "gb": [
        Place("London", 51.5074, -0.1278), Place("Reading", 51.4543, -0.9781),
        Place("Oxford", 51.7520, -1.2577), Place("Cambridge", 52.2053, 0.1218),
        Place("Milton Keynes", 52.0406, -0.7594), Place("Brighton", 50.8225, -0.1372),
        Place("Guildford", 51.2362, -0.5704), Place("Birmingham", 52.4862, -1.8904),
        Place("Bristol", 51.4545, -2.5879), Place("Southampton", 50.9097, -1.4044),
    ],
}  # fmt: skip

# Mileage: Spain's tax-free 0.26 EUR/km; HMRC's 45p per mile.
MILEAGE_RATE = {"es": (Decimal("0.26"), "km"), "gb": (Decimal("0.45"), "mi")}

# Per diem, in the entity currency: (first/single day without overnight, each day with an overnight).
PER_DIEM_RATES = {
    ("es", False): (Decimal("26.67"), Decimal("53.34")),
    ("es", True): (Decimal("48.08"), Decimal("91.35")),
    ("gb", False): (Decimal("25.00"), Decimal("25.00")),
    ("gb", True): (Decimal("45.00"), Decimal("45.00")),
}
PER_DIEM_TRIPS = {
    ("es", False): ["Barcelona", "Sevilla", "Valencia", "Bilbao", "Málaga", "A Coruña"],
    ("es", True): ["Lisboa", "Paris", "London", "Berlin", "Milano", "Amsterdam"],
    ("gb", False): ["Manchester", "Edinburgh", "Birmingham", "Leeds", "Bristol", "Glasgow"],
    ("gb", True): ["Dublin", "Paris", "Amsterdam", "Madrid", "Frankfurt", "New York"],
}
TRIP_NAMES = ["Client workshop – {city}", "Kick-off with {client}", "Quarterly review – {city}",
              "Conference in {city}", "Site visit – {client}"]  # fmt: skip
