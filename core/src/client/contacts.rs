//! Editing the contacts embedded in a customer document on the device: add, update, remove, each
//! one local change. Contacts merge by their id (autosurgeon key), so concurrent edits of
//! different contacts on different devices both survive.

use super::{ClientError, FieldClient};
use crate::domain::{Contact, PhoneNumber};
use crate::ids::{ContactId, CustomerId};

/// A contact as entered (without id).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContactInput {
    /// Full name (required).
    pub name: String,
    /// Job title.
    pub title: String,
    /// Department.
    pub department: String,
    /// Phone numbers.
    pub phones: Vec<String>,
    /// E-mail.
    pub email: String,
    /// Role in the buying process.
    pub role: String,
    /// The main contact (setting it clears the flag on the others).
    pub primary: bool,
    /// Free notes.
    pub notes: String,
}

impl ContactInput {
    /// The contact with id `id`: trims the text, normalises the phone numbers.
    fn into_contact(self, id: ContactId) -> Result<Contact, ClientError> {
        let phones = self
            .phones
            .iter()
            .map(|p| p.trim())
            .filter(|p| !p.is_empty())
            .map(|p| {
                PhoneNumber::parse(p)
                    .map(|n| n.as_str().to_owned())
                    .map_err(|e| ClientError::InvalidInput(format!("contacts: {}", e.message)))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let name = self.name.trim().to_owned();
        if name.is_empty() {
            return Err(ClientError::InvalidInput(
                "contacts: a contact needs a name".into(),
            ));
        }
        for (field, value, max) in [
            ("name", &name, 200),
            ("title", &self.title, 200),
            ("department", &self.department, 200),
            ("role", &self.role, 200),
            ("notes", &self.notes, 5_000),
        ] {
            if value.chars().count() > max {
                return Err(ClientError::InvalidInput(format!(
                    "contacts.{field}: at most {max} characters"
                )));
            }
        }
        Ok(Contact {
            id,
            name,
            title: self.title.trim().to_owned(),
            department: self.department.trim().to_owned(),
            phones,
            email: self.email.trim().to_owned(),
            role: self.role.trim().to_owned(),
            primary: self.primary,
            notes: self.notes,
        })
    }
}

fn clear_other_primaries(contacts: &mut [Contact], keep: ContactId) {
    for c in contacts.iter_mut().filter(|c| c.id != keep) {
        c.primary = false;
    }
}

impl FieldClient {
    /// Adds a contact to a customer; returns its new id.
    pub async fn add_contact(
        &self,
        customer: CustomerId,
        input: ContactInput,
    ) -> Result<ContactId, ClientError> {
        let id = ContactId::new();
        let contact = input.into_contact(id)?;
        self.edit_record::<crate::domain::Customer>(customer.into(), move |c| {
            if contact.primary {
                clear_other_primaries(&mut c.contacts, id);
            }
            c.contacts.push(contact);
            Ok(())
        })
        .await?;
        Ok(id)
    }

    /// Replaces the fields of a contact of a customer.
    pub async fn update_contact(
        &self,
        customer: CustomerId,
        contact: ContactId,
        input: ContactInput,
    ) -> Result<(), ClientError> {
        let updated = input.into_contact(contact)?;
        self.edit_record::<crate::domain::Customer>(customer.into(), move |c| {
            let slot = c
                .contacts
                .iter_mut()
                .find(|k| k.id == contact)
                .ok_or_else(|| ClientError::NotFound(format!("contact {contact}")))?;
            let primary = updated.primary;
            *slot = updated;
            if primary {
                clear_other_primaries(&mut c.contacts, contact);
            }
            Ok(())
        })
        .await
    }

    /// Removes a contact from a customer.
    pub async fn remove_contact(
        &self,
        customer: CustomerId,
        contact: ContactId,
    ) -> Result<(), ClientError> {
        self.edit_record::<crate::domain::Customer>(customer.into(), move |c| {
            let before = c.contacts.len();
            c.contacts.retain(|k| k.id != contact);
            if c.contacts.len() == before {
                return Err(ClientError::NotFound(format!("contact {contact}")));
            }
            Ok(())
        })
        .await
    }
}
